"""Tables of the owner's own affiliate income: networks, their links, earnings and their moves."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from evergreen.db import Base, utcnow

__all__ = ["EarningEvent", "Network", "NetworkEarning", "NetworkLink"]


class Network(Base):
    """An affiliate network or merchant the owner promotes; it reports sales by postback or CSV."""

    __tablename__ = "networks"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(8), default="network")
    postback_secret: Mapped[str] = mapped_column(String(64))
    postback_mapping: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    status_values: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    report_mapping: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # The income stream its earnings count in; made for it at its first earning when unset.
    stream_id: Mapped[int | None] = mapped_column(
        ForeignKey("streams.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NetworkLink(Base):
    """An outbound affiliate link and the one network whose sales it earns."""

    __tablename__ = "network_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("links.id", ondelete="CASCADE"), unique=True)
    network_id: Mapped[int] = mapped_column(
        ForeignKey("networks.id", ondelete="CASCADE"), index=True
    )


class NetworkEarning(Base):
    """A commission a network owes the owner for one order; stored even when it matches no click."""

    __tablename__ = "earnings"
    __table_args__ = (
        UniqueConstraint("network_id", "order_id", name="uq_earnings_network_order"),
        Index("ix_earnings_occurred_at", "occurred_at"),
        # Unmatched earnings of the last days: matched when their click lands.
        Index("ix_earnings_matched_created", "matched", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"))
    order_id: Mapped[str] = mapped_column(String(200))
    click_id: Mapped[str] = mapped_column(String(64), default="")
    link_id: Mapped[int | None] = mapped_column(
        ForeignKey("links.id", ondelete="SET NULL"), default=None, index=True
    )
    sub: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    amount: Mapped[Decimal | None] = mapped_column(default=None)
    commission: Mapped[Decimal] = mapped_column(default=Decimal(0))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    status: Mapped[str] = mapped_column(String(12), default="pending")
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    source: Mapped[str] = mapped_column(String(8), default="postback")
    matched: Mapped[bool] = mapped_column(default=False)
    # False while the report could not be read: kept for review, left out of every figure.
    valid: Mapped[bool] = mapped_column(default=True)
    note: Mapped[str] = mapped_column(String(300), default="")
    raw: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class EarningEvent(Base):
    """Every status change of an earning, with when, the commission then and what reported it."""

    __tablename__ = "earning_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    earning_id: Mapped[int] = mapped_column(
        ForeignKey("earnings.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    from_status: Mapped[str] = mapped_column(String(12), default="")
    to_status: Mapped[str] = mapped_column(String(12))
    commission: Mapped[Decimal] = mapped_column(default=Decimal(0))
    source: Mapped[str] = mapped_column(String(8))
