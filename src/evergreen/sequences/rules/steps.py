"""The step program's vocabulary: one frozen dataclass per kind of step.

Every step carries a stable `id` (keyword-only, e.g. "s7") that an enrolment remembers instead of
an index, so inserting, removing or reordering steps in a live sequence never moves anyone back
to a Send they already had (see program.py for how ids are handed out and edits are recorded).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from evergreen.sequences.rules.conditions import Condition

__all__ = [
    "WAITS",
    "WEEKDAYS",
    "Branch",
    "Goal",
    "MoveTo",
    "Notify",
    "Send",
    "Step",
    "Tag",
    "Untag",
    "Wait",
    "WaitRelative",
    "WaitStep",
    "WaitUntil",
    "Webhook",
    "Window",
    "kind_of",
]

WEEKDAYS = frozenset(range(7))  # Monday = 0, as datetime.weekday()


@dataclass(frozen=True)
class _Step:
    """What every step shares: the stable id an enrolment keeps its place by ("" until assigned)."""

    id: str = field(default="", kw_only=True)


@dataclass(frozen=True)
class Send(_Step):
    """Send one message of the mail area (at most once per enrolment)."""

    message_ref: str


@dataclass(frozen=True)
class Wait(_Step):
    """Wait a fixed duration after the previous step."""

    duration: timedelta


@dataclass(frozen=True)
class Window:
    """Local hours a step may fall in: `start` (inclusive) to `end` (exclusive), 0 to 24."""

    start: int
    end: int


@dataclass(frozen=True)
class WaitUntil(_Step):
    """Wait until a weekday and local time in the subscriber's zone, or into a send window.

    With `hour`: the next listed weekday at hour:minute. Without: the earliest moment on a listed
    weekday inside `window`. When both are given the time must lie inside the window.
    """

    weekdays: frozenset[int] = WEEKDAYS
    hour: int | None = None
    minute: int = 0
    window: Window | None = None


@dataclass(frozen=True)
class WaitRelative(_Step):
    """Wait until an event's instant plus `offset` (negative: before), e.g. 15 min before a session.

    `stale_after` overrides how late the following sends may still go out (catchup.py).
    """

    event: str
    offset: timedelta
    stale_after: timedelta | None = None


@dataclass(frozen=True)
class Branch(_Step):
    """Go to step `then_step` when the condition holds, else to `else_step` (ids; None: the end).

    Targets are step ids, not indices, so inserting a step never re-aims a branch.
    """

    condition: Condition
    then_step: str | None
    else_step: str | None


@dataclass(frozen=True)
class Tag(_Step):
    """Add a tag to the subscriber."""

    name: str


@dataclass(frozen=True)
class Untag(_Step):
    """Remove a tag from the subscriber."""

    name: str


@dataclass(frozen=True)
class MoveTo(_Step):
    """Leave this sequence and enter another one (ends this enrolment)."""

    sequence_ref: str


@dataclass(frozen=True)
class Notify(_Step):
    """Tell the owner something about this subscriber."""

    text: str


@dataclass(frozen=True)
class Webhook(_Step):
    """Post the subscriber and step to a URL."""

    url: str


@dataclass(frozen=True)
class Goal(_Step):
    """A goal: once its condition holds, the subscriber leaves the sequence, wherever they are."""

    condition: Condition


Step = (
    Send | Wait | WaitUntil | WaitRelative | Branch | Tag | Untag | MoveTo | Notify | Webhook | Goal
)
WaitStep = Wait | WaitUntil | WaitRelative
WAITS = (Wait, WaitUntil, WaitRelative)

_KINDS: dict[type, str] = {
    Send: "send",
    Wait: "wait",
    WaitUntil: "wait_until",
    WaitRelative: "wait_relative",
    Branch: "branch",
    Tag: "tag",
    Untag: "untag",
    MoveTo: "move_to",
    Notify: "notify",
    Webhook: "webhook",
    Goal: "goal",
}


def kind_of(step: Step) -> str:
    """The stored name of a step's kind ("send", "wait_until", …)."""
    return _KINDS[type(step)]
