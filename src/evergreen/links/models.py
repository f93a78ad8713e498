"""Tables for tracking links, every click they receive, and the rollups that make stats fast."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from evergreen.db import Base, utcnow

# SQLite only auto-increments INTEGER primary keys; PostgreSQL gets a 64-bit column.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Link(Base):
    """A short link on the owner's domain: one slug, one default destination, optional targets."""

    __tablename__ = "links"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    destination: Mapped[str] = mapped_column(String(2048))
    title: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(16), default="own")
    channel: Mapped[str] = mapped_column(String(100), default="")
    campaign: Mapped[str] = mapped_column(String(100), default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    utm: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    targets: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    forward_query: Mapped[bool] = mapped_column(default=True)
    forward_tracking: Mapped[bool] = mapped_column(default=True)
    append_click_id: Mapped[bool] = mapped_column(default=False)
    click_id_param: Mapped[str] = mapped_column(String(40), default="evg_id")
    set_cookie: Mapped[bool] = mapped_column(default=False)
    redirect_status: Mapped[int] = mapped_column(default=302)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    disabled: Mapped[bool] = mapped_column(default=False)
    # Where the link sends people once expired or disabled, instead of the "not found" page.
    fallback_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    # The income stream its clicks and sales count for (else its network's stream).
    stream_id: Mapped[int | None] = mapped_column(
        ForeignKey("streams.id", ondelete="SET NULL"), default=None
    )
    health: Mapped[str] = mapped_column(String(16), default="unchecked")
    health_detail: Mapped[str] = mapped_column(String(300), default="")
    health_checked_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Click(Base):
    """One request to a link, whatever its class; kept even when it does not count."""

    __tablename__ = "clicks"
    # Recent clicks are looked up per link (the ingester's memory, the dashboard) and, when
    # several ingesters write, per link and visitor (uniqueness and flooding read from the
    # database); click_id is unique and starts with the time, so its index doubles as a time index.
    __table_args__ = (
        Index("ix_clicks_link_id_at", "link_id", "at"),
        Index("ix_clicks_link_visitor_at", "link_id", "visitor", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    click_id: Mapped[str] = mapped_column(String(32), unique=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("links.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    method: Mapped[str] = mapped_column(String(8), default="GET")
    visitor: Mapped[str] = mapped_column(String(32), default="")
    user_agent: Mapped[str] = mapped_column(String(512), default="")
    referrer: Mapped[str] = mapped_column(String(512), default="")
    referrer_host: Mapped[str] = mapped_column(String(255), default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    device: Mapped[str] = mapped_column(String(16), default="")
    os: Mapped[str] = mapped_column(String(40), default="")
    browser: Mapped[str] = mapped_column(String(40), default="")
    sub: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    klass: Mapped[str] = mapped_column("class", String(12), default="human")
    reason: Mapped[str] = mapped_column(String(120), default="")
    is_unique: Mapped[bool] = mapped_column(default=True)
    destination: Mapped[str] = mapped_column(String(2048), default="")


class ClickRollup(Base):
    """Counts per link, day and dimension value, so stats never scan the clicks table."""

    __tablename__ = "click_rollups"
    __table_args__ = (
        # link_id and dimension first: every stats query filters on both.
        UniqueConstraint("link_id", "dimension", "day", "value", name="uq_click_rollups_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("links.id", ondelete="CASCADE"))
    day: Mapped[date]
    dimension: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(255))
    total: Mapped[int] = mapped_column(BigInteger, default=0)
    human: Mapped[int] = mapped_column(BigInteger, default=0)
    unique: Mapped[int] = mapped_column(BigInteger, default=0)


class SpoolOffset(Base):
    """How far the ingester has read each spool segment, committed with the clicks it read."""

    __tablename__ = "spool_offsets"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    offset: Mapped[int] = mapped_column(BigInteger)


class ClickIngester(Base):
    """An ingester (one spool folder) seen writing clicks: with others about, unique and flood
    are decided from the database instead of each ingester's memory."""

    __tablename__ = "click_ingesters"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[datetime]


class VisitorSalt(Base):
    """The day's random salt for visitor hashes; deleted after a day, so IPs cannot be recovered."""

    __tablename__ = "visitor_salts"

    day: Mapped[date] = mapped_column(primary_key=True)
    salt: Mapped[str] = mapped_column(String(64))


class HumanAgent(Base):
    """A user agent the owner reclassified as human (it is never counted as a bot or preview)."""

    __tablename__ = "human_agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_agent: Mapped[str] = mapped_column(String(512), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
