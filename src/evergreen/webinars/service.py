"""Webinars: add, change, find and delete them; the only writer of the webinars table.

Every value is checked by the rules before anything is stored, and a schedule is stored only
when it can offer a session (one whose every date is blacked out is refused).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from evergreen.audience import service as audience
from evergreen.db import utcnow
from evergreen.errors import Conflict, NotFound
from evergreen.urls import check_http_url
from evergreen.webinars.errors import WebinarInputError
from evergreen.webinars.models import Webinar, WebinarChatLine, WebinarOffer, WebinarRegistration
from evergreen.webinars.rules import (
    VIEWER,
    check_duration,
    check_name,
    check_replay_hours,
    check_slug,
    check_text,
    check_wording,
    next_sessions,
    parse_schedule,
)
from evergreen.webinars.rules.content import check_label

__all__ = [
    "WebinarChanges",
    "WebinarDraft",
    "add_webinar",
    "delete_webinar",
    "get_webinar",
    "update_webinar",
    "webinar_named",
]


@dataclass(frozen=True)
class WebinarDraft:
    """A webinar as entered: its name, recording, schedule, zone and blackout dates."""

    name: str
    duration_minutes: int
    schedule: str
    timezone: str
    blackout_dates: tuple[str, ...] = ()
    title: str = ""
    presenter: str = ""
    video_url: str | None = None
    replay_hours: int = 48
    slug: str | None = None
    list_id: int | None = None
    consent_wording: str = ""
    room_label: str = ""


@dataclass(frozen=True)
class WebinarChanges:
    """What to change of a webinar; None leaves a value as it is (video_url or slug "" removes
    it, list_id 0 removes the list)."""

    name: str | None = None
    duration_minutes: int | None = None
    schedule: str | None = None
    timezone: str | None = None
    blackout_dates: tuple[str, ...] | None = None
    title: str | None = None
    presenter: str | None = None
    video_url: str | None = None
    replay_hours: int | None = None
    slug: str | None = None
    list_id: int | None = None
    consent_wording: str | None = None
    room_label: str | None = None


def _checked(
    session: Session, draft: WebinarDraft, now: datetime, *, new_schedule: bool = True
) -> dict[str, Any]:
    """Every value of the draft checked, as the row stores it."""
    name = check_name(draft.name)
    schedule = parse_schedule(draft.schedule, draft.timezone, draft.blackout_dates)
    if new_schedule:  # one that offers nothing is refused now, not at the first visitor
        next_sessions(schedule, now, "UTC" if schedule.zone == VIEWER else schedule.zone, 1)
    video = (draft.video_url or "").strip()
    list_id = draft.list_id or None
    if list_id is not None:
        try:
            audience.get_list(session, list_id)
        except NotFound:
            raise WebinarInputError("list_id", f"no audience list {list_id}") from None
    return {
        "name": name,
        "title": check_text("title", draft.title, 200) or name,
        "presenter": check_text("presenter", draft.presenter, 200),
        "duration_minutes": check_duration(draft.duration_minutes),
        "schedule": schedule.spec.text,
        "timezone": schedule.zone,
        "blackout_dates": [day.isoformat() for day in sorted(schedule.blackouts)],
        "video_url": check_http_url("video_url", video, WebinarInputError) if video else None,
        "replay_hours": check_replay_hours(draft.replay_hours),
        "slug": check_slug(draft.slug),
        "list_id": list_id,
        "consent_wording": check_wording(draft.consent_wording, list_id),
        "room_label": check_label(draft.room_label),
    }


def _store(session: Session, row: Webinar, values: dict[str, Any]) -> Webinar:
    """Write checked values onto the row; the name must be free."""
    taken = Conflict("name", f"a webinar named {values['name']!r} already exists")
    with session.no_autoflush:
        clash = session.scalar(
            select(Webinar.id).where(Webinar.name == values["name"], Webinar.id != row.id)
        )
    if clash is not None:
        raise taken
    if values["slug"] is not None:
        with session.no_autoflush:
            used = session.scalar(
                select(Webinar.id).where(Webinar.slug == values["slug"], Webinar.id != row.id)
            )
        if used is not None:
            raise Conflict("slug", f"another webinar already answers at /w/{values['slug']}")
    for key, value in values.items():
        setattr(row, key, value)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # someone else took the name or the slug in the meantime
        raise taken from None
    return row


def add_webinar(session: Session, draft: WebinarDraft, now: datetime | None = None) -> Webinar:
    """A new webinar; the name is unique."""
    return _store(session, Webinar(), _checked(session, draft, now or utcnow()))


def get_webinar(session: Session, webinar_id: int, *, lock: bool = False) -> Webinar:
    """The webinar with this id; `lock`: read afresh and held until the unit of work ends, for
    a change checked against what is stored (two changes at once otherwise each check against
    what the other has not committed yet)."""
    if lock:
        found = session.get(
            Webinar, webinar_id, with_for_update={"key_share": True}, populate_existing=True
        )
    else:
        found = session.get(Webinar, webinar_id)
    if found is None:
        raise NotFound("webinar_id", f"no webinar {webinar_id}")
    return found


def webinar_named(session: Session, name: str) -> Webinar:
    """The webinar with this exact name."""
    found = session.scalar(select(Webinar).where(Webinar.name == name.strip()))
    if found is None:
        raise NotFound("name", f"no webinar named {name.strip()[:100]!r}")
    return found


def _draft_of(row: Webinar) -> WebinarDraft:
    return WebinarDraft(
        name=row.name,
        duration_minutes=row.duration_minutes,
        schedule=row.schedule,
        timezone=row.timezone,
        blackout_dates=tuple(row.blackout_dates),
        title=row.title,
        presenter=row.presenter,
        video_url=row.video_url,
        replay_hours=row.replay_hours,
        slug=row.slug,
        list_id=row.list_id,
        consent_wording=row.consent_wording,
        room_label=row.room_label,
    )


def update_webinar(
    session: Session, webinar_id: int, changes: WebinarChanges, now: datetime | None = None
) -> Webinar:
    """Change a webinar; the whole result is checked as a new one would be, but a schedule
    left as it was need not offer a session still (a `dates:` webinar whose days have passed
    keeps its title and replay window editable for its registrants), and the recording may
    not end before an offer or a chat line it shows."""
    row = get_webinar(session, webinar_id, lock=True)
    given = {key: value for key, value in vars(changes).items() if value is not None}
    draft = replace(_draft_of(row), **given)
    rescheduled = bool({"schedule", "timezone", "blackout_dates"} & given.keys())
    checked = _checked(session, draft, now or utcnow(), new_schedule=rescheduled)
    _check_marks_fit(session, row.id, checked["duration_minutes"])
    return _store(session, row, checked)


def _check_marks_fit(session: Session, webinar_id: int, duration_minutes: int) -> None:
    """Refuse a recording shorter than the offers and chat lines it shows (naming the last)."""
    for table, what in ((WebinarOffer, "an offer"), (WebinarChatLine, "a chat line")):
        last = session.scalar(
            select(func.max(table.at_second)).where(table.webinar_id == webinar_id)
        )
        if last is not None and last >= duration_minutes * 60:
            minute = last // 60 + 1
            raise WebinarInputError(
                "duration_minutes",
                f"{what} shows at {last // 60}:{last % 60:02d}: keep at least {minute} "
                f"minutes, or move it first",
            )


def delete_webinar(session: Session, webinar_id: int) -> None:
    """Delete a webinar, its registrations, offers and chat script (the registrants stay in
    the audience, the offers' tracking links in the links area)."""
    row = get_webinar(session, webinar_id)
    session.execute(delete(WebinarRegistration).where(WebinarRegistration.webinar_id == row.id))
    for table in (WebinarOffer, WebinarChatLine):
        session.execute(delete(table).where(table.webinar_id == row.id))
    session.delete(row)
    session.flush()
