"""Attendance as pure rules: which beats count, the 5-second buckets a registrant watched, their
outcome once the session is over, and the drop-off curve.

Thresholds (documented in ARCHITECTURE.md, webinars):
- a beat counts from the session start to the end of the replay window, for a second of the
  video (0 to its length) that is not ahead of the live position while the session is live;
- attended: watched live at least 5 minutes, or at least 10 % of the video when that is less;
- left early: attended, but the last second watched live is before 75 % of the video;
- missed (no-show): the session is over (its end plus a 15-minute grace) and the registrant
  did not attend (a glance shorter than the threshold counts as missed);
- registered: the outcome is not final yet (before the session's end plus the grace).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from evergreen.errors import Conflict
from evergreen.webinars.errors import WebinarInputError

__all__ = [
    "ATTEND_FRACTION",
    "ATTEND_SECONDS",
    "BUCKET_SECONDS",
    "GRACE",
    "LEAVE_FRACTION",
    "LIVE_LEAD_SECONDS",
    "Status",
    "Watch",
    "bits_of",
    "bytes_of",
    "check_beat",
    "dropoff",
    "final_at",
    "mark",
    "status_of",
    "watched_seconds",
]

BUCKET_SECONDS = 5
ATTEND_SECONDS = 300
ATTEND_FRACTION = 0.10
LEAVE_FRACTION = 0.75
GRACE = timedelta(minutes=15)
LIVE_LEAD_SECONDS = 30  # how far ahead of the live position a player's clock may run


class Status(StrEnum):
    """A registrant's outcome for their session."""

    REGISTERED = "registered"
    ATTENDED = "attended"
    LEFT_EARLY = "left_early"
    MISSED = "missed"


@dataclass(frozen=True)
class Watch:
    """What a registrant watched live: buckets as an int bit set, and the last second seen."""

    live: int = 0
    live_max_second: int = -1


def check_beat(
    second: int, session_start: datetime, duration_s: int, replay_hours: int, now: datetime
) -> bool:
    """Whether a beat for `second` sent at `now` counts, and whether it is live (True) or
    replay (False); a bad second is refused 422, a time outside the window 409."""
    if second < 0 or second > duration_s:
        raise WebinarInputError("second", f"must be between 0 and {duration_s}")
    if now < session_start:
        raise Conflict("second", "the session has not started yet")
    end = session_start + timedelta(seconds=duration_s)
    if now > end + timedelta(hours=replay_hours):
        raise Conflict("second", "the replay of this session has expired")
    live = now < end
    position = (now - session_start).total_seconds()
    if live and second > position + LIVE_LEAD_SECONDS:
        raise WebinarInputError("second", "is ahead of the live session")
    return live


def mark(bits: int, seconds: Iterable[int]) -> int:
    """The bit set with the buckets of these video seconds added."""
    for second in seconds:
        bits |= 1 << (second // BUCKET_SECONDS)
    return bits


def bytes_of(bits: int) -> bytes:
    """A bit set as stored (little-endian bytes, as short as it can be)."""
    return bits.to_bytes((bits.bit_length() + 7) // 8, "little")


def bits_of(stored: bytes | None) -> int:
    """A stored bit set back as an int."""
    return int.from_bytes(stored or b"", "little")


def watched_seconds(bits: int, duration_s: int) -> int:
    """Seconds of the video watched: 5 per bucket, the last bucket cut at the video's end."""
    full = bits & ((1 << (duration_s // BUCKET_SECONDS)) - 1)
    seconds = full.bit_count() * BUCKET_SECONDS
    if bits >> (duration_s // BUCKET_SECONDS) & 1:
        seconds += duration_s % BUCKET_SECONDS
    return min(seconds, duration_s)


def final_at(session_start: datetime, duration_s: int) -> datetime:
    """When a session's outcome becomes final: its end plus the grace."""
    return session_start + timedelta(seconds=duration_s) + GRACE


def _attended(watched: int, duration_s: int) -> bool:
    return watched > 0 and watched >= min(ATTEND_SECONDS, ATTEND_FRACTION * duration_s)


def status_of(session_start: datetime, duration_s: int, watch: Watch, now: datetime) -> Status:
    """The registrant's outcome at `now` (see the module's thresholds)."""
    if now < final_at(session_start, duration_s):
        return Status.REGISTERED
    if not _attended(watched_seconds(watch.live, duration_s), duration_s):
        return Status.MISSED
    if watch.live_max_second < LEAVE_FRACTION * duration_s:
        return Status.LEFT_EARLY
    return Status.ATTENDED


def dropoff(bit_sets: Sequence[int], duration_s: int) -> list[float]:
    """Share of viewers (anyone who watched a bucket) still watching at each minute of the
    video: those who saw some of that minute; [] when nobody watched."""
    viewers = [bits for bits in bit_sets if bits]
    minutes = max(1, -(-duration_s // 60))
    if not viewers:
        return []
    per_minute = 60 // BUCKET_SECONDS
    window = (1 << per_minute) - 1
    curve: list[float] = []
    for minute in range(minutes):
        shift = minute * per_minute
        seen = sum(1 for bits in viewers if (bits >> shift) & window)
        curve.append(seen / len(viewers))
    return curve
