"""The watch room as pure rules: where a registrant's session stands at an instant (waiting,
live at a second, replay, expired), which offers may still be taken, and what the page gets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

__all__ = [
    "RoomState",
    "Stage",
    "offer_closes_at",
    "offer_open",
    "room_state",
]


class Stage(StrEnum):
    """Where a session stands: before it, playing as if live, open as a replay, or closed."""

    WAITING = "waiting"
    LIVE = "live"
    REPLAY = "replay"
    EXPIRED = "expired"


@dataclass(frozen=True)
class RoomState:
    """The room at one instant: its stage, seconds until the start (waiting), the second the
    session has reached (live; 0 otherwise) and when the replay closes."""

    stage: Stage
    wait_seconds: int
    position: int
    ends_at: datetime
    replay_until: datetime

    @property
    def plays(self) -> bool:
        """The video may be given: the session is live or its replay is open."""
        return self.stage in (Stage.LIVE, Stage.REPLAY)


def room_state(
    session_start: datetime, duration_seconds: int, replay_hours: int, now: datetime
) -> RoomState:
    """The room of a session starting at `session_start` as it stands at `now`: a late joiner
    is at now - start, never past the recording's end; replay_hours 0 means no replay."""
    if duration_seconds < 1 or replay_hours < 0:
        raise ValueError("duration must be positive and replay_hours not negative")
    ends_at = session_start + timedelta(seconds=duration_seconds)
    replay_until = ends_at + timedelta(hours=replay_hours)
    if now < session_start:
        wait = int(-(-(session_start - now).total_seconds() // 1))  # whole seconds, rounded up
        return RoomState(Stage.WAITING, wait, 0, ends_at, replay_until)
    if now < ends_at:
        position = min(int((now - session_start).total_seconds()), duration_seconds - 1)
        return RoomState(Stage.LIVE, 0, position, ends_at, replay_until)
    if now < replay_until:
        return RoomState(Stage.REPLAY, 0, 0, ends_at, replay_until)
    return RoomState(Stage.EXPIRED, 0, 0, ends_at, replay_until)


def offer_closes_at(
    session_start: datetime, at_second: int, deadline_minutes: int | None
) -> datetime | None:
    """When a registrant's offer closes: its deadline counted from when it appeared in their
    session (the same instant for every reload, so the countdown never resets); None: never."""
    if deadline_minutes is None:
        return None
    return session_start + timedelta(seconds=at_second, minutes=deadline_minutes)


def offer_open(
    state: RoomState,
    session_start: datetime,
    at_second: int,
    deadline_minutes: int | None,
    now: datetime,
) -> bool:
    """Whether the offer's button may be followed now: the room plays, the offer has appeared
    (live: its second reached; replay: it appeared in the session) and its deadline is ahead."""
    if not state.plays:
        return False
    if state.stage is Stage.LIVE and state.position < at_second:
        return False
    closes = offer_closes_at(session_start, at_second, deadline_minutes)
    return closes is None or now < closes
