"""The broadcast's pure rules: states, auto-pause, soft-bounce threshold, tokens, Apple opens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from evergreen.mail.errors import MailInputError
from evergreen.mail.rules import recipient_tokens
from evergreen.mail.rules.broadcast_states import is_finished, step
from evergreen.mail.rules.delivery_health import auto_pause, soft_bounce_suppresses
from evergreen.mail.rules.opens import open_kind
from evergreen.mail.rules.recipient_tokens import RecipientToken

NOW = datetime(2026, 1, 5, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("state", "action", "after"),
    [
        ("draft", "send", "sending"),
        ("draft", "schedule", "scheduled"),
        ("scheduled", "send", "sending"),
        ("scheduled", "unschedule", "draft"),
        ("sending", "pause", "paused"),
        ("paused", "resume", "sending"),
        ("paused", "cancel", "cancelled"),
        ("sending", "cancel", "cancelled"),
        ("draft", "edit", "draft"),
    ],
)
def test_allowed_steps(state: str, action: str, after: str) -> None:
    later = NOW + timedelta(hours=1)
    assert step(state, action, now=NOW, scheduled_at=later).state == after


@pytest.mark.parametrize(
    ("state", "action"),
    [
        ("finished", "send"),
        ("finished", "pause"),
        ("cancelled", "resume"),
        ("sending", "send"),
        ("sending", "edit"),
        ("paused", "pause"),
        ("finished", "cancel"),
        ("sending", "delete"),
    ],
)
def test_refused_steps_say_why(state: str, action: str) -> None:
    with pytest.raises(MailInputError) as refused:
        step(state, action, now=NOW)
    assert refused.value.field == "status"
    assert state in refused.value.message


def test_send_queues_cancel_skips_and_a_schedule_must_be_future() -> None:
    assert step("draft", "send", now=NOW).queue
    assert step("sending", "cancel", now=NOW).skip_open
    with pytest.raises(MailInputError, match="future"):
        step("draft", "schedule", now=NOW, scheduled_at=NOW - timedelta(minutes=1))
    with pytest.raises(MailInputError):
        step("draft", "explode", now=NOW)


def test_finished_only_when_no_row_is_open() -> None:
    assert is_finished({"sent": 5, "failed": 1, "skipped": 2, "bounced": 1})
    assert not is_finished({"sent": 5, "queued": 1})
    assert not is_finished({"sent": 5, "deferred": 1})
    assert not is_finished({"sent": 5, "claimed": 1})


def test_auto_pause_after_the_sample_only() -> None:
    assert not auto_pause(100, 50, 0).pause  # below the sample: too few to judge
    assert not auto_pause(1000, 50, 3).pause  # exactly 5 % and 0.3 %: at the limits
    verdict = auto_pause(1000, 51, 0)
    assert verdict.pause
    assert "bounced" in verdict.reason
    verdict = auto_pause(1000, 0, 4)
    assert verdict.pause
    assert "complaints" in verdict.reason


def test_soft_bounces_suppress_at_the_third() -> None:
    assert [soft_bounce_suppresses(n) for n in (1, 2, 3, 4)] == [False, False, True, True]


def test_recipient_tokens_are_signed_and_kind_bound() -> None:
    token = RecipientToken("u", 12, 34567, 8)
    text = recipient_tokens.encode("s1", token)
    assert recipient_tokens.decode("s1", text, "u") == token
    assert recipient_tokens.decode("s1", text.upper(), "u") == token  # case folded by servers
    assert recipient_tokens.decode("s2", text, "u") is None  # another site's secret
    assert recipient_tokens.decode("s1", text, "o") is None  # an open token is no unsubscribe
    forged = text.replace("-8-", "-9-")
    assert recipient_tokens.decode("s1", forged, "u") is None
    assert recipient_tokens.header_id("s1", 12, 3) == recipient_tokens.header_id("s1", 12, 3)
    assert recipient_tokens.header_id("s1", 12, 3) != recipient_tokens.header_id("s1", 12, 4)


@pytest.mark.parametrize(
    ("agent", "ip", "kind"),
    [
        ("Mozilla/5.0", "203.0.113.9", "opened_proxy"),
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0)", "17.58.1.2", "opened_proxy"),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Thunderbird/115", "203.0.113.9", "opened"),
        ("", None, "opened"),
        ("curl/8", "not-an-ip", "opened"),
    ],
)
def test_apple_privacy_proxy_opens_are_apart(agent: str, ip: str | None, kind: str) -> None:
    assert open_kind(agent, ip) == kind
