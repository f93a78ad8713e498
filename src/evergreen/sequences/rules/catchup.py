"""The late-step policy: after downtime, send a late step, or skip it once it has gone stale.

A step that comes due while the scheduler is down is caught up when it returns. Each kind of
wait has a staleness bound, counted from the moment the wait was meant to end:

- `Wait` (a duration) and `WaitUntil` (a weekday and hour): no bound. A newsletter-style step
  three days late is still sent, because it still reads true late.
- `WaitRelative` before its event (negative offset, "24 hours before the session"): stale once
  a quarter of its lead has passed, but never sooner than 15 minutes after its moment and never
  later than the event's start: a "tomorrow" reminder 6 hours late still reads true, and one for
  something already started is noise. So someone who registers 30 minutes before a session gets
  only the reminders still ahead (15 minutes, "starting now"), not "24 hours" and "1 hour"
  at once; someone registering 5 minutes before still gets the 15-minute one.
- `WaitRelative` at or after its event ("starting now", "the replay is up"): 24 hours.
- Any `WaitRelative` may set `stale_after` to choose its own bound.

Only sends are skipped as stale; tags, notifications, webhooks and branches after a late wait
still run, so the subscriber's record stays true.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from evergreen.sequences.rules.steps import Wait, WaitRelative, WaitStep, WaitUntil

__all__ = ["AFTER_EVENT_BOUND", "REMINDER_FLOOR", "Late", "LateDecision", "decide", "stale_at"]

AFTER_EVENT_BOUND = timedelta(hours=24)
REMINDER_FLOOR = timedelta(minutes=15)


class Late(StrEnum):
    """What to do with a step whose time has come."""

    SEND = "send"
    SKIP_STALE = "skip_stale"


@dataclass(frozen=True)
class LateDecision:
    """A decision, how late the step is, and the reason a person can read in the step log."""

    action: Late
    late_by: timedelta
    reason: str


def _bound(step: WaitStep) -> timedelta | None:
    """How late the sends after this wait may go out (None: always)."""
    match step:
        case Wait() | WaitUntil():
            return None
        case WaitRelative(_, offset, stale_after):
            if stale_after is not None:
                return stale_after
            if offset < timedelta(0):
                return min(-offset, max(REMINDER_FLOOR, -offset / 4))
            return AFTER_EVENT_BOUND


def stale_at(
    step: WaitStep, due: datetime, events: Mapping[str, datetime] | None = None
) -> datetime | None:
    """The instant from which the sends after this wait are stale (None: never).

    A relative wait counts from its intended moment (event + offset), not from `due`, which is
    clamped to "now" when someone enrols after the moment has passed.
    """
    bound = _bound(step)
    if bound is None:
        return None
    start = due
    if isinstance(step, WaitRelative) and events is not None and step.event in events:
        start = events[step.event].astimezone(UTC) + step.offset
    return start + bound


def _span(delta: timedelta) -> str:
    """A short human duration: 3 d 2 h, 15 min, 40 s."""
    seconds = int(delta.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{days} d" * bool(days), f"{hours} h" * bool(hours), f"{minutes} min" * bool(minutes)]
    text = " ".join(part for part in parts if part)
    return text or f"{secs} s"


def decide(due: datetime, now: datetime, stale: datetime | None) -> LateDecision:
    """Send, or skip as stale when `now` has reached the stale instant; the reason says which."""
    late_by = max(timedelta(0), now - due)
    if stale is not None and now >= stale:
        return LateDecision(
            Late.SKIP_STALE,
            late_by,
            f"stale: due {due.astimezone(UTC):%Y-%m-%d %H:%M} UTC, "
            f"past its bound {stale.astimezone(UTC):%Y-%m-%d %H:%M} UTC",
        )
    if late_by == timedelta(0):
        return LateDecision(Late.SEND, late_by, "on time")
    if stale is None:
        return LateDecision(
            Late.SEND, late_by, f"late by {_span(late_by)}; this step never goes stale"
        )
    return LateDecision(Late.SEND, late_by, f"late by {_span(late_by)}, within its bound")
