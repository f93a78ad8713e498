"""What the webinars' forms send, read once: numbers, blackout dates, the preview's zone."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends, Form

from evergreen.digits import is_digits
from evergreen.webinars.errors import WebinarInputError
from evergreen.webinars.service import WebinarDraft

__all__ = ["BLANK", "EnteredDep", "FormStr", "draft_of", "entered_of"]

FormStr = Annotated[str, Form(max_length=20_000)]
BLANK = {
    "name": "",
    "title": "",
    "presenter": "",
    "duration_minutes": "60",
    "schedule": "jit:15",
    "timezone": "viewer",
    "blackout_dates": "",
    "video_url": "",
    "replay_hours": "48",
    "slug": "",
    "list_id": "",
    "consent_wording": "",
    "room_label": "",
}
_SEPARATORS = re.compile(r"[\s,;]+")


def _whole(field: str, text: str) -> int:
    value = text.strip()
    if not is_digits(value) or len(value) > 9:
        raise WebinarInputError(field, f"give a whole number, not {value[:20]!r}")
    return int(value)


def entered_of(**fields: str) -> dict[str, str]:
    """The form's values as typed, to show again when something is refused."""
    return {name: fields.get(name, default) for name, default in BLANK.items()}


def _entered_form(
    name: FormStr = "",
    title: FormStr = "",
    presenter: FormStr = "",
    duration_minutes: FormStr = "",
    schedule: FormStr = "",
    timezone: FormStr = "",
    blackout_dates: FormStr = "",
    video_url: FormStr = "",
    replay_hours: FormStr = "48",
    slug: FormStr = "",
    list_id: FormStr = "",
    consent_wording: FormStr = "",
    room_label: FormStr = "",
) -> dict[str, str]:
    """The add and edit forms' fields as posted (one declaration for both routes)."""
    return entered_of(
        name=name, title=title, presenter=presenter, duration_minutes=duration_minutes,
        schedule=schedule, timezone=timezone, blackout_dates=blackout_dates,
        video_url=video_url, replay_hours=replay_hours, slug=slug, list_id=list_id,
        consent_wording=consent_wording, room_label=room_label,
    )  # fmt: skip


EnteredDep = Annotated[dict[str, str], Depends(_entered_form)]


def draft_of(entered: dict[str, str]) -> WebinarDraft:
    """A draft from the form: numbers read, blackout dates split on spaces, commas or lines."""
    return WebinarDraft(
        name=entered["name"],
        title=entered["title"],
        presenter=entered["presenter"],
        duration_minutes=_whole("duration_minutes", entered["duration_minutes"]),
        schedule=entered["schedule"],
        timezone=entered["timezone"],
        blackout_dates=tuple(d for d in _SEPARATORS.split(entered["blackout_dates"]) if d),
        video_url=entered["video_url"].strip() or None,
        replay_hours=_whole("replay_hours", entered["replay_hours"]),
        slug=entered["slug"].strip() or None,
        list_id=_whole("list_id", entered["list_id"]) if entered["list_id"].strip() else None,
        consent_wording=entered["consent_wording"],
        room_label=entered["room_label"],
    )
