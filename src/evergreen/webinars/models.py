"""Tables of evergreen webinars: the webinar, its recording and its schedule."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from evergreen.db import Base, utcnow

__all__ = ["Webinar"]


class Webinar(Base):
    """A recorded webinar played as if live at the sessions its schedule offers each registrant."""

    __tablename__ = "webinars"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    presenter: Mapped[str] = mapped_column(String(200), default="")
    duration_minutes: Mapped[int]
    # The canonical spec (rules.schedule): jit:N, daily:HH:MM,… or weekly:mon,wed:HH:MM,…
    schedule: Mapped[str] = mapped_column(String(500))
    # "viewer" (each viewer's own zone) or an IANA zone name.
    timezone: Mapped[str] = mapped_column(String(64))
    # Local dates (YYYY-MM-DD, in the effective zone) on which no session starts.
    blackout_dates: Mapped[list[str]] = mapped_column(JSON, default=list)
    video_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    replay_hours: Mapped[int] = mapped_column(default=48)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
