"""Programs: the validator names what is wrong, ids are stable across edits, the stored form."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given

from evergreen.errors import InputError
from evergreen.sequences.errors import SequenceInputError
from evergreen.sequences.rules import (
    Attendance,
    Branch,
    Clicked,
    Goal,
    HasTag,
    MoveTo,
    Program,
    Purchased,
    Send,
    Step,
    Tag,
    Wait,
    WaitRelative,
    WaitUntil,
    Webhook,
    WebinarIs,
    Window,
    dump_condition,
    dump_program,
    dump_trigger,
    make_program,
    parse_condition,
    parse_program,
    parse_step,
    parse_trigger,
    revise,
)
from evergreen.sequences.rules.program import MAX_STEPS
from evergreen.sequences.rules.triggers import DateField, GotTag, WebinarTrigger
from tests.sequences.programs import conditions, programs

DAY = timedelta(days=1)


def test_the_error_is_an_input_error_with_a_field() -> None:
    with pytest.raises(InputError) as caught:
        make_program([])
    assert isinstance(caught.value, SequenceInputError)
    assert (caught.value.field, caught.value.status) == ("steps", 422)


@pytest.mark.parametrize(
    ("steps", "field", "says"),
    [
        ([Send("")], "steps[0].message", "required"),
        ([Wait(timedelta(0))], "steps[0].seconds", "more than 0"),
        ([Wait(timedelta(days=400))], "steps[0].seconds", "366 days"),
        ([WaitUntil(frozenset(), 9)], "steps[0].weekdays", "mon"),
        ([WaitUntil(frozenset({7}), 9)], "steps[0].weekdays", "mon"),
        ([WaitUntil(hour=24)], "steps[0].hour", "0 to 23"),
        ([WaitUntil(hour=9, minute=60)], "steps[0].minute", "0 to 59"),
        ([WaitUntil()], "steps[0].hour", "an hour, a window"),
        ([WaitUntil(window=Window(17, 9))], "steps[0].window", "start first"),
        ([WaitUntil(hour=8, window=Window(9, 17))], "steps[0].hour", "outside the window"),
        ([WaitRelative("", timedelta(0))], "steps[0].event", "required"),
        ([WaitRelative("s", -DAY, timedelta(0))], "steps[0].stale_after_seconds", "more than 0"),
        (
            [WaitRelative("s", -DAY, timedelta(days=10**6))],
            "steps[0].stale_after_seconds",
            "at most 366 days",
        ),
        ([Send("a"), Branch(HasTag("x"), "s5", None)], "steps[1].then", "no step 's5'"),
        ([Send("a"), Branch(HasTag("x"), None, "1")], "steps[1].else", "no step '1'"),
        ([Branch(HasTag(""), None, None)], "steps[0].condition.name", "required"),
        ([Goal(Purchased()), Tag(" ")], "steps[1].name", "required"),
        ([MoveTo("")], "steps[0].sequence", "required"),
        ([Webhook("ftp://example.com")], "steps[0].url", "http(s)"),
        ([Webhook("https://")], "steps[0].url", "host"),
        ([Send("a", id="s1"), Send("b", id="s1")], "steps[1].id", "used twice"),
        ([Send("a")] * (MAX_STEPS + 1), "steps", f"at most {MAX_STEPS}"),
    ],
)
def test_the_validator_names_the_field(steps: list[Step], field: str, says: str) -> None:
    with pytest.raises(SequenceInputError) as caught:
        make_program(steps)
    assert caught.value.field == field
    assert says in caught.value.message


@pytest.mark.parametrize(
    "steps",
    [
        [Tag("a"), Branch(HasTag("b"), "s1", None)],  # tag, test, tag, test … for ever
        [Send("m1"), Branch(Clicked(), None, "s1")],  # the send goes once; then a bare loop
        [WaitUntil(hour=9), Send("m"), Branch(Clicked(), None, "s1")],  # may be due at once
        [Branch(HasTag("a"), "s1", "s2"), Send("m")],  # a branch to itself
        [Branch(HasTag("a"), "s3", "s2"), Wait(DAY), Tag("t"), Branch(HasTag("b"), "s1", None)],
    ],
)
def test_a_loop_without_a_wait_is_refused(steps: list[Step]) -> None:
    with pytest.raises(SequenceInputError) as caught:
        make_program(steps)
    assert "loop without a Wait" in caught.value.message


def test_a_loop_through_a_wait_is_fine() -> None:
    program = make_program([Send("m1"), Wait(DAY), Branch(Clicked("l1"), None, "s2"), Send("m2")])
    assert [step.id for step in program.steps] == ["s1", "s2", "s3", "s4"]
    assert program.next_id == 5


def test_an_edit_keeps_ids_gives_new_ones_and_notes_removals() -> None:
    old = make_program([Send("a"), Wait(DAY), Send("b"), Wait(DAY), Send("c")])
    s1, s2, _s3, _s4, s5 = old.steps
    new = revise(old, [Send("intro"), s1, s2, s5, Tag("done")])
    assert [step.id for step in new.steps] == ["s6", "s1", "s2", "s5", "s7"]
    assert new.next_id == 8
    assert dict(new.moved) == {"s3": "s5", "s4": "s5"}
    assert new.index_of("s3") == 3  # an enrolment waiting at the removed s3 goes on at s5
    # Removing s5 later: s3 → s5 → the step that followed s5 (s7).
    newer = revise(new, [new.steps[0], s1, s2, new.steps[4]])
    assert newer.index_of("s3") == 3
    assert newer.index_of("s5") == 3
    # Removing the last step: enrolments there are at the end.
    last = revise(newer, list(newer.steps[:3]))
    assert last.index_of("s7") is None
    assert last.next_id == 8  # ids are never handed out twice


def test_an_edit_may_not_reuse_ids_but_may_name_fresh_ones() -> None:
    old = revise(make_program([Send("a"), Send("b")]), [Send("a", id="s1")])
    assert old.next_id == 3
    with pytest.raises(SequenceInputError) as caught:
        revise(old, [Send("c", id="s2")])  # s2 was removed: its id means that step for ever
    assert caught.value.field == "steps[0].id"
    # An editor may name new steps from next_id on, so a new branch can aim at a new step.
    new = revise(old, [Branch(Clicked(), "s5", None), Send("x"), Send("new", id="s5")])
    assert [step.id for step in new.steps] == ["s6", "s7", "s5"]
    assert new.next_id == 8


def test_inserting_steps_never_re_aims_a_branch() -> None:
    old = make_program([Branch(Clicked(), "s3", None), Send("no"), Send("clicked")])
    new = revise(old, [old.steps[0], Send("inserted"), *old.steps[1:]])
    branch = new.steps[0]
    assert isinstance(branch, Branch)
    assert new.steps[new.index_of(branch.then_step) or 0] == Send("clicked", id="s3")


EXAMPLE: dict[str, Any] = {
    "version": 1,
    "next_id": 9,
    "steps": [
        {"id": "s1", "kind": "send", "message": "welcome"},
        {"id": "s2", "kind": "wait", "seconds": 86400},
        {
            "id": "s3",
            "kind": "wait_until",
            "weekdays": ["tue", "thu"],
            "hour": 9,
            "minute": 30,
            "window": {"start": 8, "end": 18},
        },
        {
            "id": "s4",
            "kind": "branch",
            "condition": {
                "kind": "all",
                "of": [
                    {"kind": "tag", "name": "lead"},
                    {"kind": "not", "condition": {"kind": "opened", "message": "welcome"}},
                    {"kind": "webinar", "status": "attended", "webinar": "w1"},
                    {"kind": "field", "name": "plan", "equals": "pro"},
                ],
            },
            "then": "s6",
            "else": None,
        },
        {"id": "s5", "kind": "goal", "condition": {"kind": "purchased", "product": "course"}},
        {
            "id": "s6",
            "kind": "wait_relative",
            "event": "webinar_session",
            "offset_seconds": -900,
            "stale_after_seconds": 600,
        },
        {"id": "s7", "kind": "webhook", "url": "https://example.com/hook"},
        {"id": "s8", "kind": "move_to", "sequence": "after-webinar"},
    ],
    "moved": {"s0": "s1"},
}


def test_the_stored_form_round_trips_and_is_json() -> None:
    program = parse_program(json.loads(json.dumps(EXAMPLE)))
    assert isinstance(program.steps[3], Branch)
    assert program.steps[2] == WaitUntil(frozenset({1, 3}), 9, 30, Window(8, 18), id="s3")
    assert dump_program(program) == EXAMPLE


@given(programs())
def test_property_any_program_round_trips(program: Program) -> None:
    stored = json.loads(json.dumps(dump_program(program)))
    again = parse_program(stored)
    assert again == program
    assert dump_program(again) == stored


@given(conditions)
def test_property_any_condition_round_trips(condition: Any) -> None:
    assert parse_condition(json.loads(json.dumps(dump_condition(condition)))) == condition


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ("not a dict", "program"),
        ({"steps": "x"}, "program.steps"),
        ({"steps": [{"kind": "teleport"}]}, "steps[0].kind"),
        ({"steps": [{"kind": "send"}]}, "steps[0].message"),
        ({"steps": [{"kind": "send", "message": 5}]}, "steps[0].message"),
        ({"steps": [{"kind": "wait", "seconds": True}]}, "steps[0].seconds"),
        ({"steps": [{"kind": "send", "message": "m", "delay": 1}]}, "steps[0].delay"),
        (
            {"steps": [{"kind": "wait_until", "weekdays": ["someday"], "hour": 9}]},
            "steps[0].weekdays",
        ),
        (
            {"steps": [{"kind": "wait_until", "hour": 9, "window": {"start": 1}}]},
            "steps[0].window.end",
        ),
        (
            {"steps": [{"kind": "branch", "condition": {"kind": "maybe"}, "then": None}]},
            "steps[0].condition.kind",
        ),
        (
            {"steps": [{"kind": "goal", "condition": {"kind": "webinar", "status": "slept"}}]},
            "steps[0].condition.status",
        ),
        ({"version": 2, "steps": []}, "version"),
        ({"steps": [{"kind": "send", "message": "m", "id": "s3"}], "next_id": 2}, "next_id"),
        ({"steps": [{"kind": "send", "message": "m"}], "moved": {"s1": 3}}, "moved"),
    ],
)
def test_parse_names_the_path_of_what_is_wrong(data: object, field: str) -> None:
    with pytest.raises(SequenceInputError) as caught:
        parse_program(data)
    assert caught.value.field == field


def test_a_parsed_step_without_id_gets_one_from_make_program() -> None:
    step = parse_step({"kind": "send", "message": "hello"})
    assert step == Send("hello")
    assert make_program([step]).steps[0].id == "s1"


def test_a_new_program_from_the_api_gets_ids_its_branches_can_name() -> None:
    program = parse_program(
        {
            "steps": [
                {"kind": "branch", "condition": {"kind": "clicked"}, "then": "s3", "else": None},
                {"kind": "send", "message": "not-clicked"},
                {"kind": "send", "message": "clicked"},
            ]
        }
    )
    assert [step.id for step in program.steps] == ["s1", "s2", "s3"]
    assert program.next_id == 4


@pytest.mark.parametrize(
    ("trigger", "stored"),
    [
        (GotTag("lead"), {"kind": "got_tag", "name": "lead"}),
        (
            WebinarTrigger(Attendance.MISSED, "w1"),
            {"kind": "webinar", "status": "missed", "webinar": "w1"},
        ),
        (
            DateField("birthday", 10, 30),
            {"kind": "date_field", "field": "birthday", "hour": 10, "minute": 30},
        ),
    ],
)
def test_triggers_round_trip(trigger: Any, stored: dict[str, Any]) -> None:
    assert dump_trigger(trigger) == stored
    assert parse_trigger(stored) == trigger


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "moon_phase"}, "trigger.kind"),
        ({"kind": "got_tag", "name": " "}, "trigger.name"),
        ({"kind": "date_field", "field": "birthday", "hour": 25}, "trigger.hour"),
        ({"kind": "joined_list"}, "trigger.list"),
    ],
)
def test_trigger_errors_name_the_field(data: object, field: str) -> None:
    with pytest.raises(SequenceInputError) as caught:
        parse_trigger(data)
    assert caught.value.field == field


def test_a_webinar_condition_for_any_webinar_dumps_without_the_key() -> None:
    assert dump_condition(WebinarIs(Attendance.REGISTERED)) == {
        "kind": "webinar",
        "status": "registered",
    }


def test_positions_round_trip_and_bad_ones_name_the_field() -> None:
    """An enrolment's stored position reads back the same; a broken one names its key."""
    from datetime import UTC, datetime, timezone

    from evergreen.sequences.rules import Position, dump_position, parse_position

    due = datetime(2026, 3, 8, 7, 30, tzinfo=timezone(timedelta(hours=-5)))
    position = Position("s4", due, None, frozenset({"s3", "s1"}))
    stored = dump_position(position)
    assert stored == {
        "step_id": "s4",
        "due": "2026-03-08T12:30:00+00:00",
        "stale_at": None,
        "sent": ["s1", "s3"],
    }
    assert parse_position(stored) == position
    assert dump_position(parse_position(stored)) == stored
    assert parse_position(dump_position(Position(None, None))) == Position(None, None)
    assert parse_position({"step_id": "s1", "due": "2026-01-01T00:00:00"}).due == datetime(
        2026, 1, 1, tzinfo=UTC
    )
    for broken, field in [
        ({"step_id": "s1", "due": "soon"}, "position.due"),
        ({"step_id": "s1", "sent": [1]}, "position.sent"),
        ({"step_id": "s1", "extra": 1}, "position.extra"),
    ]:
        with pytest.raises(InputError) as caught:
            parse_position(broken)
        assert caught.value.field == field


def test_the_webinar_in_view_is_the_triggers_else_the_one_the_waits_name() -> None:
    from evergreen.sequences.rules import (
        ApiEvent,
        Attendance,
        Send,
        WaitRelative,
        WebinarTrigger,
        make_program,
        webinar_in_view,
    )

    def waits(*events: str) -> Any:
        return make_program(
            [step for e in events for step in (WaitRelative(e, timedelta(minutes=-15)), Send("m"))]
        )

    named = WebinarTrigger(Attendance.REGISTERED, "demo")
    assert webinar_in_view(named, waits("webinar:other")) == "demo"
    assert webinar_in_view(WebinarTrigger(Attendance.ATTENDED, None), waits("webinar:x")) == "x"
    assert webinar_in_view(ApiEvent("signed"), waits("webinar:x", "webinar:x")) == "x"
    assert webinar_in_view(ApiEvent("signed"), waits("webinar:x", "webinar:y")) == ""
    assert webinar_in_view(ApiEvent("signed"), waits("webinar", "deadline")) == ""
