"""The late-step policy: what is sent after downtime and what is skipped as stale, with reasons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evergreen.sequences.rules import (
    Late,
    Wait,
    WaitRelative,
    WaitUntil,
    decide,
    stale_at,
)
from evergreen.sequences.rules.steps import WaitStep

DUE = datetime(2026, 5, 20, 17, 45, tzinfo=UTC)
SESSION = DUE + timedelta(minutes=15)


@pytest.mark.parametrize(
    ("step", "events", "expected"),
    [
        (Wait(timedelta(days=3)), {}, None),
        (WaitUntil(frozenset({1}), 9), {}, None),
        # 15 minutes before the session: stale once the session starts.
        (WaitRelative("session", timedelta(minutes=-15)), {"session": SESSION}, SESSION),
        # "Starting now" and after: a day.
        (WaitRelative("session", timedelta(0)), {"session": DUE}, DUE + timedelta(hours=24)),
        # The step's own bound wins.
        (
            WaitRelative("session", timedelta(0), stale_after=timedelta(minutes=30)),
            {"session": DUE},
            DUE + timedelta(minutes=30),
        ),
    ],
)
def test_each_wait_kind_has_its_staleness_bound(
    step: WaitStep, events: dict[str, datetime], expected: datetime | None
) -> None:
    assert stale_at(step, DUE, events) == expected


def test_a_relative_bound_counts_from_the_intended_moment_not_the_clamped_due() -> None:
    """Registered 5 minutes before the session: due now, still stale at the session's start."""
    late_registration = SESSION - timedelta(minutes=5)
    step = WaitRelative("session", timedelta(minutes=-15))
    assert stale_at(step, late_registration, {"session": SESSION}) == SESSION


def test_a_newsletter_step_three_days_late_is_still_sent() -> None:
    now = DUE + timedelta(days=3, hours=2)
    decision = decide(DUE, now, stale_at(Wait(timedelta(days=1)), DUE))
    assert decision.action is Late.SEND
    assert decision.late_by == timedelta(days=3, hours=2)
    assert decision.reason == "late by 3 d 2 h; this step never goes stale"


def test_a_reminder_after_the_session_started_is_skipped_as_stale() -> None:
    stale = stale_at(WaitRelative("session", timedelta(minutes=-15)), DUE, {"session": SESSION})
    assert decide(DUE, SESSION - timedelta(minutes=1), stale).action is Late.SEND
    skipped = decide(DUE, SESSION, stale)
    assert skipped.action is Late.SKIP_STALE
    assert skipped.reason == "stale: due 2026-05-20 17:45 UTC, past its bound 2026-05-20 18:00 UTC"


@pytest.mark.parametrize(
    ("now", "reason"),
    [
        (DUE, "on time"),
        (DUE - timedelta(seconds=1), "on time"),
        (DUE + timedelta(minutes=5), "late by 5 min, within its bound"),
    ],
)
def test_reasons_say_how_late(now: datetime, reason: str) -> None:
    decision = decide(DUE, now, DUE + timedelta(hours=1))
    assert (decision.action, decision.reason) == (Late.SEND, reason)


@given(st.integers(-86400, 90 * 86400), st.one_of(st.none(), st.integers(0, 30 * 86400)))
def test_property_skip_exactly_when_past_the_bound(late: int, bound: int | None) -> None:
    now = DUE + timedelta(seconds=late)
    stale = None if bound is None else DUE + timedelta(seconds=bound)
    decision = decide(DUE, now, stale)
    skipped = stale is not None and now >= stale
    assert (decision.action is Late.SKIP_STALE) is skipped
    assert decision.late_by == max(timedelta(0), now - DUE)
    assert decision.reason
