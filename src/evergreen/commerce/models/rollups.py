"""The funnel report's rollup: a funnel's paid sales summed per step, variant, role, currency
and paid day, kept by deltas in the same transaction as the order's money, so a report over a
million orders reads a few hundred rows instead of every order and line."""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from evergreen.db import Base

__all__ = ["FunnelSalesDaily"]


class FunnelSalesDaily(Base):
    """What one day's paid order lines of one funnel step, variant and role add up to (cents)."""

    __tablename__ = "commerce_funnel_sales_daily"
    __table_args__ = (
        UniqueConstraint("funnel_id", "step_id", "variant", "role", "currency", "day"),
        Index("ix_commerce_funnel_sales_daily_funnel_day", "funnel_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    funnel_id: Mapped[int] = mapped_column()
    step_id: Mapped[int] = mapped_column(default=0)  # 0: the order named no step
    variant: Mapped[str] = mapped_column(String(40), default="")  # "": no variant
    role: Mapped[str] = mapped_column(String(10))  # main, bump, upsell, downsell
    currency: Mapped[str] = mapped_column(String(3))
    day: Mapped[date] = mapped_column(Date)  # the day the order was paid (UTC)
    orders: Mapped[int] = mapped_column(BigInteger, default=0)  # paid lines summed here
    net_cents: Mapped[int] = mapped_column(BigInteger, default=0)  # less tax
    refunded_cents: Mapped[int] = mapped_column(BigInteger, default=0)  # less tax
    fee_cents: Mapped[int] = mapped_column(BigInteger, default=0)
