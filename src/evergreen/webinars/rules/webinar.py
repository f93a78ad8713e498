"""What a webinar's own fields may hold: a name, texts, its length and its replay window."""

from __future__ import annotations

import unicodedata

from evergreen.webinars.errors import WebinarInputError

__all__ = [
    "MAX_DURATION",
    "MAX_NAME",
    "MAX_REPLAY_HOURS",
    "check_duration",
    "check_name",
    "check_replay_hours",
    "check_text",
]

MAX_NAME = 100
MAX_DURATION = 24 * 60  # minutes
MAX_REPLAY_HOURS = 365 * 24


def check_text(field: str, value: str, limit: int, *, required: bool = False) -> str:
    """Stripped text of at most `limit` characters, with no control characters."""
    text = value.strip()
    if required and not text:
        raise WebinarInputError(field, "is required")
    if len(text) > limit:
        raise WebinarInputError(field, f"is longer than {limit} characters")
    for ch in text:
        if unicodedata.category(ch) in ("Cc", "Cs"):
            raise WebinarInputError(
                field, f"must not contain control characters (found U+{ord(ch):04X})"
            )
    return text


def check_name(value: str) -> str:
    """The webinar's name: how commands and links find it (unique, 1 to 100 characters)."""
    return check_text("name", value, MAX_NAME, required=True)


def check_duration(minutes: int) -> int:
    """The recording's length in whole minutes: 1 to 1440."""
    if not 1 <= minutes <= MAX_DURATION:
        raise WebinarInputError(
            "duration_minutes", f"must be from 1 to {MAX_DURATION} minutes, got {minutes}"
        )
    return minutes


def check_replay_hours(hours: int) -> int:
    """How long each registrant's replay stays open: 0 (no replay) to a year."""
    if not 0 <= hours <= MAX_REPLAY_HOURS:
        raise WebinarInputError(
            "replay_hours", f"must be from 0 to {MAX_REPLAY_HOURS} hours, got {hours}"
        )
    return hours
