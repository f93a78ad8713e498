"""What pages, commands and other areas read of webinars: cards and a registrant's sessions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.db import utcnow
from evergreen.errors import NotFound
from evergreen.webinars.models import Webinar, WebinarAttendance, WebinarRegistration
from evergreen.webinars.rules import (
    Schedule,
    attendance,
    describe,
    iso_utc,
    local_time,
    next_sessions,
    parse_schedule,
    registrant_links,
)
from evergreen.webinars.rules.content import DEFAULT_LABEL

__all__ = [
    "AttendanceCard",
    "Outcome",
    "RegistrationCard",
    "WebinarCard",
    "attendance_of",
    "id_named",
    "list_webinars",
    "mail_values",
    "outcomes_between",
    "registered_between",
    "registration_card",
    "registrations_of",
    "sessions_changed_between",
    "sessions_for",
    "webinar_card",
]


@dataclass(frozen=True)
class WebinarCard:
    """A webinar as pages and the API show it, with its schedule in words."""

    id: int
    name: str
    title: str
    presenter: str
    duration_minutes: int
    schedule: str
    timezone: str
    blackout_dates: list[str]
    video_url: str | None
    replay_hours: int
    slug: str | None
    list_id: int | None
    consent_wording: str
    room_label: str
    video_file: str | None
    video_type: str | None
    video_bytes: int | None
    schedule_words: str
    created_at: datetime
    updated_at: datetime

    def to_dict(self) -> dict[str, Any]:
        """The card as JSON values (times in ISO 8601)."""
        out = asdict(self)
        out["created_at"] = self.created_at.isoformat()
        out["updated_at"] = self.updated_at.isoformat()
        return out


def _schedule(row: Webinar) -> Schedule:
    return parse_schedule(row.schedule, row.timezone, row.blackout_dates)


def _card(row: Webinar) -> WebinarCard:
    return WebinarCard(
        id=row.id,
        name=row.name,
        title=row.title,
        presenter=row.presenter,
        duration_minutes=row.duration_minutes,
        schedule=row.schedule,
        timezone=row.timezone,
        blackout_dates=list(row.blackout_dates),
        video_url=row.video_url,
        replay_hours=row.replay_hours,
        slug=row.slug,
        list_id=row.list_id,
        consent_wording=row.consent_wording,
        room_label=row.room_label or DEFAULT_LABEL,
        video_file=row.video_file,
        video_type=row.video_type,
        video_bytes=row.video_bytes,
        schedule_words=describe(_schedule(row)),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def list_webinars(session: Session) -> list[WebinarCard]:
    """Every webinar, by name."""
    return [_card(row) for row in session.scalars(select(Webinar).order_by(Webinar.name))]


def webinar_card(session: Session, webinar_id: int) -> WebinarCard | None:
    """One webinar, or None."""
    row = session.get(Webinar, webinar_id)
    return None if row is None else _card(row)


def id_named(session: Session, name: str) -> int:
    """The id of the webinar with this exact name."""
    found = session.scalar(select(Webinar.id).where(Webinar.name == name.strip()))
    if found is None:
        raise NotFound("name", f"no webinar named {name.strip()[:100]!r}")
    return found


def sessions_for(
    session: Session, webinar_id: int, registered_at: datetime, viewer_zone: str, count: int = 3
) -> tuple[datetime, ...]:
    """The next `count` session starts (UTC) offered to someone registering at `registered_at`
    from `viewer_zone`."""
    row = session.get(Webinar, webinar_id)
    if row is None:
        raise NotFound("webinar_id", f"no webinar {webinar_id}")
    return next_sessions(_schedule(row), registered_at, viewer_zone, count)


@dataclass(frozen=True)
class RegistrationCard:
    """A registration as the owner's page, the API and the CLI show it."""

    id: int
    webinar_id: int
    subscriber_id: int
    email: str
    name: str
    viewer_timezone: str
    session_start: datetime
    registered_at: datetime
    source: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        """The card as JSON values (times in ISO 8601 UTC with Z)."""
        out = asdict(self)
        out["session_start"] = iso_utc(self.session_start)
        out["registered_at"] = iso_utc(self.registered_at)
        return out


def registration_card(row: WebinarRegistration) -> RegistrationCard:
    """One registration row as a card."""
    return RegistrationCard(
        id=row.id,
        webinar_id=row.webinar_id,
        subscriber_id=row.subscriber_id,
        email=row.email,
        name=row.name,
        viewer_timezone=row.viewer_timezone,
        session_start=row.session_start,
        registered_at=row.registered_at,
        source=dict(row.source or {}),
    )


def registrations_of(
    session: Session, webinar_id: int, limit: int = 1000
) -> list[RegistrationCard]:
    """A webinar's registrations, newest first (at most `limit`)."""
    rows = session.scalars(
        select(WebinarRegistration)
        .where(WebinarRegistration.webinar_id == webinar_id)
        .order_by(WebinarRegistration.registered_at.desc(), WebinarRegistration.id.desc())
        .limit(limit)
    )
    return [registration_card(row) for row in rows]


# Attendance (heartbeats folded by webinars.beats): outcomes for the sequences' after-sequences.


@dataclass(frozen=True)
class Outcome:
    """A registrant's final outcome for their session (attended, left_early or missed)."""

    subscriber_id: int
    webinar_name: str
    registration_id: int
    status: str
    session_start: datetime


@dataclass(frozen=True)
class AttendanceCard:
    """What one registrant watched and their outcome as of `now`."""

    registration_id: int
    status: str
    watched_seconds: int
    live_seconds: int
    max_second: int
    first_beat_at: datetime | None
    last_beat_at: datetime | None
    final_at: datetime


def _watch(row: WebinarAttendance | None) -> attendance.Watch:
    if row is None:
        return attendance.Watch()
    return attendance.Watch(attendance.bits_of(row.live), row.live_max_second)


def outcomes_between(
    session: Session,
    since: datetime,
    until: datetime,
    *,
    subscriber_ids: Iterable[int] | None = None,
) -> list[Outcome]:
    """Every registration whose outcome became final (session end + grace) in [since, until),
    by that moment; its status is the one it has at that moment (only these people's, when
    `subscriber_ids` is given)."""
    people = None if subscriber_ids is None else sorted(set(subscriber_ids))
    found: list[Outcome] = []
    for webinar_id, name, minutes in session.execute(
        select(Webinar.id, Webinar.name, Webinar.duration_minutes)
    ).all():
        lag = timedelta(minutes=minutes) + attendance.GRACE
        rows = session.execute(
            select(WebinarRegistration, WebinarAttendance)
            .outerjoin(
                WebinarAttendance, WebinarAttendance.registration_id == WebinarRegistration.id
            )
            .where(
                WebinarRegistration.webinar_id == webinar_id,
                WebinarRegistration.session_start >= since - lag,
                WebinarRegistration.session_start < until - lag,
                *(() if people is None else (WebinarRegistration.subscriber_id.in_(people),)),
            )
        ).all()
        for registration, watched in rows:
            start = registration.session_start
            final = attendance.final_at(start, minutes * 60)
            status = attendance.status_of(start, minutes * 60, _watch(watched), final)
            found.append(Outcome(registration.subscriber_id, name, registration.id, status, start))
    found.sort(key=lambda o: (o.session_start, o.registration_id))
    return found


def attendance_of(
    session: Session, registration_id: int, now: datetime | None = None
) -> AttendanceCard:
    """A registrant's attendance so far and their outcome at `now`."""
    row = session.execute(
        select(WebinarRegistration, Webinar.duration_minutes, WebinarAttendance)
        .join(Webinar, Webinar.id == WebinarRegistration.webinar_id)
        .outerjoin(WebinarAttendance, WebinarAttendance.registration_id == WebinarRegistration.id)
        .where(WebinarRegistration.id == registration_id)
    ).first()
    if row is None:
        raise NotFound("registration_id", f"no registration {registration_id}")
    registration, minutes, watched = row
    duration_s = minutes * 60
    start = registration.session_start
    status = attendance.status_of(start, duration_s, _watch(watched), now or utcnow())
    return AttendanceCard(
        registration_id=registration_id,
        status=status.value,
        watched_seconds=watched.watched_seconds if watched else 0,
        live_seconds=watched.live_seconds if watched else 0,
        max_second=watched.max_second if watched else -1,
        first_beat_at=watched.first_beat_at if watched else None,
        last_beat_at=watched.last_beat_at if watched else None,
        final_at=attendance.final_at(start, duration_s),
    )


def registered_between(
    session: Session,
    since: datetime,
    until: datetime,
    *,
    subscriber_ids: list[int] | None = None,
) -> list[tuple[int, str, datetime]]:
    """(subscriber id, webinar name, session start) of registrations made in [since, until], in
    registration order, only these people's when given: what a "registered for a webinar"
    trigger enrols and what the sequences engine knows of a person's sessions."""
    query = (
        select(WebinarRegistration.subscriber_id, Webinar.name, WebinarRegistration.session_start)
        .join(Webinar, Webinar.id == WebinarRegistration.webinar_id)
        .where(
            WebinarRegistration.registered_at >= since,
            WebinarRegistration.registered_at <= until,
        )
        .order_by(WebinarRegistration.registered_at, WebinarRegistration.id)
    )
    if subscriber_ids is not None:
        query = query.where(WebinarRegistration.subscriber_id.in_(subscriber_ids))
    return [(row[0], row[1], row[2]) for row in session.execute(query)]


def sessions_changed_between(session: Session, since: datetime, until: datetime) -> set[int]:
    """The people whose registration changed in [since, until] (a new session chosen): what the
    sequences engine wakes, so a reminder's wait follows the session."""
    return set(
        session.scalars(
            select(WebinarRegistration.subscriber_id).where(
                WebinarRegistration.updated_at >= since, WebinarRegistration.updated_at <= until
            )
        )
    )


def mail_values(
    session: Session, subscriber_id: int, secret: str, base_url: str, about: str = ""
) -> dict[str, str] | None:
    """What `{{ webinar.… }}` prints in a message to this person: their latest registration's
    webinar (of the webinar named `about` only, when a message is pinned to one), session (in
    their zone and in UTC) and signed links; None when they have none."""
    query = (
        select(WebinarRegistration, Webinar)
        .join(Webinar, Webinar.id == WebinarRegistration.webinar_id)
        .where(WebinarRegistration.subscriber_id == subscriber_id)
    )
    if about:
        query = query.where(Webinar.name == about)
    row = session.execute(
        query.order_by(
            WebinarRegistration.registered_at.desc(), WebinarRegistration.id.desc()
        ).limit(1)
    ).first()
    if row is None:
        return None
    registration, webinar = row
    page, ics, room = registrant_links(
        secret, base_url, webinar.slug or str(webinar.id), registration.id
    )
    return {
        "name": webinar.name,
        "title": webinar.title or webinar.name,
        "presenter": webinar.presenter,
        "starts": local_time(registration.session_start, registration.viewer_timezone),
        "starts_utc": iso_utc(registration.session_start),
        "room_url": room,
        "calendar_url": ics,
        "page_url": page,
    }
