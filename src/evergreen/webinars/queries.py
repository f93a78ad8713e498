"""What pages, commands and other areas read of webinars: cards and a registrant's sessions."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.errors import NotFound
from evergreen.webinars.models import Webinar, WebinarRegistration
from evergreen.webinars.rules import Schedule, describe, iso_utc, next_sessions, parse_schedule
from evergreen.webinars.rules.content import DEFAULT_LABEL

__all__ = [
    "RegistrationCard",
    "WebinarCard",
    "id_named",
    "list_webinars",
    "registration_card",
    "registrations_of",
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
