"""A broadcast's life: which action is allowed in which state, and when it is finished.

    draft ──schedule──▶ scheduled ──(due)──▶ sending ──▶ finished
      │                    │                  │  ▲
      └──send now──────────┴──────────────────┘  │
                                 pause ▼         │ resume
                                     paused ─────┘
    cancel: from draft, scheduled, sending or paused; rows not yet claimed become skipped.

Only a draft is edited (a scheduled one goes back to draft with `unschedule`). A broadcast is
finished only when every row of its send log is sent, failed, skipped or bounced: none queued,
deferred or claimed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from evergreen.mail.errors import MailInputError

__all__ = [
    "ACTIONS",
    "DONE_STATUSES",
    "OPEN_STATUSES",
    "STATES",
    "Action",
    "State",
    "Step",
    "is_finished",
    "step",
]

State = Literal["draft", "scheduled", "sending", "paused", "cancelled", "finished"]
Action = Literal["edit", "schedule", "unschedule", "send", "pause", "resume", "cancel", "delete"]
STATES: tuple[State, ...] = ("draft", "scheduled", "sending", "paused", "cancelled", "finished")
ACTIONS: tuple[Action, ...] = (
    "edit", "schedule", "unschedule", "send", "pause", "resume", "cancel", "delete",
)  # fmt: skip
# Send-log statuses: done ones end a row's life; open ones still may send.
DONE_STATUSES = frozenset({"sent", "failed", "skipped", "bounced"})
OPEN_STATUSES = frozenset({"queued", "claimed"})

_ALLOWED: Mapping[Action, frozenset[State]] = {
    "edit": frozenset({"draft"}),
    "schedule": frozenset({"draft"}),
    "unschedule": frozenset({"scheduled"}),
    "send": frozenset({"draft", "scheduled"}),
    "pause": frozenset({"scheduled", "sending"}),
    "resume": frozenset({"paused"}),
    "cancel": frozenset({"draft", "scheduled", "sending", "paused"}),
    "delete": frozenset({"draft", "cancelled"}),
}
_NEXT: Mapping[Action, State] = {
    "edit": "draft",
    "schedule": "scheduled",
    "unschedule": "draft",
    "send": "sending",
    "pause": "paused",
    "resume": "sending",
    "cancel": "cancelled",
    "delete": "cancelled",
}


@dataclass(frozen=True)
class Step:
    """What an action does: the state after it and whether recipients must be queued first."""

    state: State
    queue: bool = False
    skip_open: bool = False  # cancel: rows not yet claimed are skipped


def step(state: str, action: str, *, now: datetime, scheduled_at: datetime | None = None) -> Step:
    """The state after `action`, or a MailInputError saying why it cannot be done now."""
    if action not in _ALLOWED:
        raise MailInputError("action", f"must be one of {', '.join(ACTIONS)}")
    if state not in STATES:
        raise MailInputError("status", f"unknown state {state!r}")
    if state not in _ALLOWED[action]:  # type: ignore[index]
        allowed = ", ".join(sorted(_ALLOWED[action]))  # type: ignore[index]
        raise MailInputError("status", f"cannot {action} a {state} broadcast (only {allowed})")
    if action == "schedule":
        if scheduled_at is None or scheduled_at.tzinfo is None:
            raise MailInputError("scheduled_at", "give an aware time to send at")
        if scheduled_at <= now:
            raise MailInputError("scheduled_at", "must be in the future (or send now)")
    next_state = _NEXT[action]  # type: ignore[index]
    return Step(next_state, queue=action in ("send",), skip_open=action == "cancel")


def is_finished(counts: Mapping[str, int]) -> bool:
    """Every row sent, failed, skipped or bounced: nothing queued, deferred or claimed."""
    return not any(counts.get(status, 0) for status in OPEN_STATUSES | {"deferred"})
