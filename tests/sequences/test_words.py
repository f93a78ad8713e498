"""Steps, conditions, triggers and durations in words, as the pages and the API show them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from evergreen.sequences.rules import parse_condition, parse_step, parse_trigger
from evergreen.sequences.rules.words import (
    condition_words,
    duration_words,
    step_words,
    trigger_words,
)


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(172800, "2 days"), (86400 + 4 * 3600, "1 day 4 hours"), (1800, "30 minutes"),
     (90061, "1 day 1 hour"), (1, "1 second"), (0, "0 seconds")],
)  # fmt: skip
def test_durations_in_their_two_largest_units(seconds: int, words: str) -> None:
    assert duration_words(timedelta(seconds=seconds)) == words


@pytest.mark.parametrize(
    ("step", "words"),
    [
        ({"kind": "send", "message": "welcome"}, "Send 'Welcome!'"),
        ({"kind": "send", "message": "other"}, "Send 'other'"),
        ({"kind": "wait", "seconds": 172800}, "Wait 2 days"),
        ({"kind": "wait_until", "weekdays": ["mon", "thu"], "hour": 9, "minute": 30},
         "Wait until Mon, Thu at 09:30 (their time)"),
        ({"kind": "wait_until", "window": {"start": 8, "end": 18}},
         "Wait until any day between 08:00 and 18:00 (their time)"),
        ({"kind": "wait_relative", "event": "session", "offset_seconds": -900},
         "Wait until 15 minutes before session"),
        ({"kind": "branch", "condition": {"kind": "tag", "name": "buyer"}, "then": "s5"},
         "If tag buyer → step s5, else → the end"),
        ({"kind": "goal", "condition": {"kind": "purchased", "product": "course"}},
         "Goal: bought course (leaves the sequence when reached)"),
        ({"kind": "tag", "name": "warm"}, "Add tag warm"),
        ({"kind": "untag", "name": "cold"}, "Remove tag cold"),
        ({"kind": "move_to", "sequence": "buyers"}, "Move to sequence buyers"),
        ({"kind": "notify", "text": "hot lead"}, "Notify the owner: hot lead"),
        ({"kind": "webhook", "url": "https://h.example.com/x"},
         "Call the webhook https://h.example.com/x"),
    ],
)  # fmt: skip
def test_each_step_kind_reads_as_a_line(step: dict[str, object], words: str) -> None:
    assert step_words(parse_step(step), {"welcome": "Welcome!"}) == words


def test_conditions_and_triggers_read_as_phrases() -> None:
    nested = {"kind": "all", "of": [{"kind": "tag", "name": "vip"},
              {"kind": "not", "condition": {"kind": "clicked"}},
              {"kind": "any", "of": [{"kind": "field", "name": "plan", "equals": "pro"},
                                     {"kind": "webinar", "status": "attended"}]}]}  # fmt: skip
    assert condition_words(parse_condition(nested)) == (
        "(tag vip and not clicked any link and (field plan is 'pro' or attended a webinar))"
    )
    assert condition_words(parse_condition({"kind": "opened"})) == "opened any message"
    assert [trigger_words(parse_trigger(t)) for t in (
        {"kind": "joined_list", "list": "News"}, {"kind": "got_tag", "name": "lead"},
        {"kind": "bought"}, {"kind": "date_field", "field": "birthday"},
        {"kind": "api_event", "name": "signup"}, {"kind": "clicked_link", "link": "offer"},
        {"kind": "webinar", "status": "missed", "webinar": "masterclass"},
    )] == [
        "joins the list News", "gets the tag lead", "buys anything",
        "reaches the date in field birthday (at 09:00 their time)",
        "is sent the API event signup", "clicks the link offer", "missed webinar masterclass",
    ]  # fmt: skip
