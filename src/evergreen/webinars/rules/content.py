"""What a webinar's content may hold: offers at a second, chat lines from earlier sessions, the
room's honest label and an uploaded recording (mp4 or webm, size-limited)."""

from __future__ import annotations

import re
from datetime import date

from evergreen.isodates import iso_day
from evergreen.webinars.errors import WebinarInputError
from evergreen.webinars.rules.webinar import check_text

__all__ = [
    "DEFAULT_LABEL",
    "MAX_DEADLINE_MINUTES",
    "MAX_VIDEO_BYTES",
    "VIDEO_TYPES",
    "check_asked_on",
    "check_deadline",
    "check_label",
    "check_second",
    "sniff_video",
]

DEFAULT_LABEL = "Recorded presentation, played at your session time"
MAX_VIDEO_BYTES = 100 * 1024 * 1024
MAX_DEADLINE_MINUTES = 7 * 24 * 60
VIDEO_TYPES = {"video/mp4": "mp4", "video/webm": "webm"}
_LIVE = re.compile(r"\blive\b", re.IGNORECASE)


def check_second(field: str, second: int, duration_minutes: int) -> int:
    """A second mark inside the recording: 0 up to (not at) its end."""
    end = duration_minutes * 60
    if not 0 <= second < end:
        raise WebinarInputError(
            field, f"must be from 0 to {end - 1} (the recording is {duration_minutes} minutes)"
        )
    return second


def check_deadline(minutes: int | None) -> int | None:
    """An offer's real deadline in minutes after it appears; None: no deadline."""
    if minutes is None:
        return None
    if not 1 <= minutes <= MAX_DEADLINE_MINUTES:
        raise WebinarInputError(
            "deadline_minutes", f"must be from 1 to {MAX_DEADLINE_MINUTES} minutes, or left out"
        )
    return minutes


def check_asked_on(value: str, today: date) -> date:
    """The date an earlier session's question was asked: a real day, not in the future."""
    try:
        asked = iso_day(value.strip())
    except ValueError:
        raise WebinarInputError(
            "asked_on", f"give a date as YYYY-MM-DD, not {value[:20]!r}"
        ) from None
    if asked > today:
        raise WebinarInputError(
            "asked_on", "a question from an earlier session cannot be dated later than today"
        )
    return asked


def check_label(value: str) -> str:
    """The room's label saying the presentation is recorded; it cannot be blank or say "live"."""
    text = check_text("room_label", value, 200) or DEFAULT_LABEL
    if _LIVE.search(text):
        raise WebinarInputError(
            "room_label", "the room plays a recording: the label may not call it live"
        )
    return text


def sniff_video(head: bytes) -> str | None:
    """The recording's content type from its first bytes (mp4's ftyp box, webm's EBML header)."""
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return "video/mp4"
    if head[:4] == b"\x1a\x45\xdf\xa3" and b"webm" in head[:64]:
        return "video/webm"
    return None
