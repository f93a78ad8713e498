"""Tables of evergreen webinars: the webinar, its recording and its schedule."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from evergreen.db import Base, utcnow

__all__ = [
    "Webinar",
    "WebinarAttendance",
    "WebinarChatLine",
    "WebinarOffer",
    "WebinarRegistration",
]


class Webinar(Base):
    """A recorded webinar played as if live at the sessions its schedule offers each registrant."""

    __tablename__ = "webinars"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    presenter: Mapped[str] = mapped_column(String(200), default="")
    duration_minutes: Mapped[int]
    # The canonical spec (rules.schedule): jit:N[@HH:MM-HH:MM,days], daily:HH:MM,…,
    # weekly:mon,wed:HH:MM,… or dates:YYYY-MM-DDTHH:MM,…
    schedule: Mapped[str] = mapped_column(String(2000))
    # "viewer" (each viewer's own zone) or an IANA zone name.
    timezone: Mapped[str] = mapped_column(String(64))
    # Local dates (YYYY-MM-DD, in the effective zone) on which no session starts.
    blackout_dates: Mapped[list[str]] = mapped_column(JSON, default=list)
    video_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    replay_hours: Mapped[int] = mapped_column(default=48)
    # An uploaded recording instead of video_url: its file under the data folder
    # (webinars/<id>/recording-<hex>.<ext>), its content type and size.
    video_file: Mapped[str | None] = mapped_column(String(200), default=None)
    video_type: Mapped[str | None] = mapped_column(String(40), default=None)
    video_bytes: Mapped[int | None] = mapped_column(BigInteger, default=None)
    # The honest words the room shows above the player.
    room_label: Mapped[str] = mapped_column(String(200), default="")
    # The audience list a registrant may join by ticking the consent (none: no checkbox).
    list_id: Mapped[int | None] = mapped_column(default=None)
    # The public registration page's address, /w/<slug>; None: no public page yet.
    slug: Mapped[str | None] = mapped_column(String(60), unique=True, default=None)
    # The exact words beside the consent checkbox, recorded with each opt-in.
    consent_wording: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WebinarRegistration(Base):
    """One person registered for a webinar, with the session they were assigned and where they
    came from; one per webinar and address, so registering again finds the same row."""

    __tablename__ = "webinar_registrations"
    __table_args__ = (
        UniqueConstraint("webinar_id", "email_key"),
        Index("ix_webinar_registrations_session", "webinar_id", "session_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    webinar_id: Mapped[int] = mapped_column(ForeignKey("webinars.id", ondelete="CASCADE"))
    # The audience subscriber (no foreign key: areas keep their own tables).
    subscriber_id: Mapped[int] = mapped_column(index=True)
    email: Mapped[str] = mapped_column(String(320))
    email_key: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200), default="")
    viewer_timezone: Mapped[str] = mapped_column(String(64))
    session_start: Mapped[datetime]
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)
    # channel, sub-IDs and utm_* of the registration page's address, clipped.
    source: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WebinarAttendance(Base):
    """What one registrant watched, folded from the room's heartbeats: 5-second buckets as bit
    sets OR-merged, so a replayed spool or a duplicate beat never counts twice."""

    __tablename__ = "webinar_attendance"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("webinar_registrations.id", ondelete="CASCADE"), unique=True
    )
    webinar_id: Mapped[int] = mapped_column(
        ForeignKey("webinars.id", ondelete="CASCADE"), index=True
    )
    # Bit n set: the video's seconds [5n, 5n+5) were seen (little-endian bytes).
    watched: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    # The same, counting only beats sent while the session was live (before its end).
    live: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    watched_seconds: Mapped[int] = mapped_column(default=0)
    live_seconds: Mapped[int] = mapped_column(default=0)
    max_second: Mapped[int] = mapped_column(default=-1)
    live_max_second: Mapped[int] = mapped_column(default=-1)
    first_beat_at: Mapped[datetime]
    last_beat_at: Mapped[datetime]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WebinarOffer(Base):
    """An offer the room shows from a second of the recording, its button a tracking link of
    the links area; a deadline, when set, is enforced by the server."""

    __tablename__ = "webinar_offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    webinar_id: Mapped[int] = mapped_column(
        ForeignKey("webinars.id", ondelete="CASCADE"), index=True
    )
    at_second: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    button: Mapped[str] = mapped_column(String(100))
    url: Mapped[str] = mapped_column(String(2048))
    deadline_minutes: Mapped[int | None] = mapped_column(default=None)
    # The links area's tracking link (no foreign key: areas keep their own tables).
    link_id: Mapped[int | None] = mapped_column(default=None)
    link_slug: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebinarChatLine(Base):
    """A real question from an earlier session, replayed at its second with the date it was
    asked (never shown as live)."""

    __tablename__ = "webinar_chat_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    webinar_id: Mapped[int] = mapped_column(
        ForeignKey("webinars.id", ondelete="CASCADE"), index=True
    )
    at_second: Mapped[int]
    question: Mapped[str] = mapped_column(Text)
    asked_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
