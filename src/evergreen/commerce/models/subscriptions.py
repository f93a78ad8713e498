"""Tables of subscriptions: one row per buyer's plan, billed by Evergreen itself (each period is
an order, a child of the subscription), and the events that move its recurring revenue."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from evergreen.db import Base, utcnow

__all__ = ["MrrSnapshot", "Subscription", "SubscriptionEvent"]


class Subscription(Base):
    """A buyer's subscription to a product's recurring price; amounts in whole cents."""

    __tablename__ = "commerce_subscriptions"
    __table_args__ = (
        Index("ix_commerce_subscriptions_status_attempt", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # From the subscribe form's nonce: a double submit finds the first subscription.
    checkout_key: Mapped[str] = mapped_column(String(100), unique=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("commerce_products.id"), index=True)
    price_id: Mapped[int | None] = mapped_column(
        ForeignKey("commerce_prices.id", ondelete="SET NULL"), default=None
    )
    buyer_email: Mapped[str] = mapped_column(String(254), index=True)
    buyer_name: Mapped[str] = mapped_column(String(200), default="")
    currency: Mapped[str] = mapped_column(String(3))
    amount_cents: Mapped[int] = mapped_column(BigInteger)  # each period, as the first order
    interval: Mapped[str] = mapped_column(String(10))  # month or year
    # incomplete (first payment awaited), trialing, active, past_due, canceled (ends at the
    # period's end) or ended.
    status: Mapped[str] = mapped_column(String(20), default="incomplete")
    provider: Mapped[str] = mapped_column(String(20))
    customer: Mapped[str | None] = mapped_column(String(255), default=None)
    payment_method: Mapped[str | None] = mapped_column(String(255), default=None)
    period: Mapped[int] = mapped_column(default=0)  # the period paid (or trialled) last: 1, 2, …
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    trial_end: Mapped[datetime | None] = mapped_column(default=None)
    current_period_start: Mapped[datetime | None] = mapped_column(default=None)
    current_period_end: Mapped[datetime | None] = mapped_column(default=None)
    cancel_at_period_end: Mapped[bool] = mapped_column(default=False)
    canceled_at: Mapped[datetime | None] = mapped_column(default=None)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    end_reason: Mapped[str] = mapped_column(String(12), default="")  # voluntary or delinquent
    failed_attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    grace_until: Mapped[datetime | None] = mapped_column(default=None)
    click_id: Mapped[str] = mapped_column(String(100), default="")
    coupon_code: Mapped[str] = mapped_column(String(40), default="")
    # The coupon's terms as they were at subscribe (the coupon may change or go later) and the
    # periods it discounts from the first (None: forever); rules/plans.py prices each period.
    coupon_percent_off: Mapped[Decimal | None] = mapped_column(Numeric(5, 2), default=None)
    coupon_amount_off_cents: Mapped[int | None] = mapped_column(BigInteger, default=None)
    coupon_periods: Mapped[int | None] = mapped_column(default=None)
    # Where the buyer is: each period is taxed at the owner's rate for it at that time.
    country: Mapped[str] = mapped_column(String(2), default="")
    region: Mapped[str] = mapped_column(String(60), default="")
    # A downgrade waiting for the next renewal (the price it moves to), cancellable until then.
    pending_price_id: Mapped[int | None] = mapped_column(default=None)
    # After a change of interval or a revival, periods are counted from anchor_at, the start
    # of period anchor_period + 1 (None: from the trial's end or the first payment).
    anchor_at: Mapped[datetime | None] = mapped_column(default=None)
    anchor_period: Mapped[int] = mapped_column(default=0)
    funnel_id: Mapped[int | None] = mapped_column(default=None)
    step_id: Mapped[int | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SubscriptionEvent(Base):
    """What happened to a subscription, when: the facts MRR and its movements are derived from
    (commerce/rules/mrr.py feeds them to rules/revenue.py), plus renewals for its history."""

    __tablename__ = "commerce_subscription_events"
    __table_args__ = (Index("ix_commerce_subscription_events_kind_at", "kind", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("commerce_subscriptions.id", ondelete="CASCADE"), index=True
    )
    product_id: Mapped[int] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    # start (first period paid), renewal, payment_failed, recovered, cancel (the end takes
    # effect: voluntary), delinquent (ended unpaid after the grace period), reactivate (a
    # period paid after that end), change (a new plan, or the discount ending), plan_from and
    # plan_to (a move to another product of its plan family: one ends, the other starts).
    kind: Mapped[str] = mapped_column(String(20))
    amount_cents: Mapped[int] = mapped_column(BigInteger, default=0)  # each period, discounted
    interval: Mapped[str] = mapped_column(String(10), default="month")
    at: Mapped[datetime] = mapped_column(default=utcnow)


class MrrSnapshot(Base):
    """The MRR page's report as last computed (the rollup): kept while no fact that moves MRR
    was added (facts are only ever appended, so their count tells) and the day is the same."""

    __tablename__ = "commerce_mrr_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    facts: Mapped[int] = mapped_column(BigInteger)  # MRR facts counted when it was computed
    last_day: Mapped[date] = mapped_column(Date)  # the report's last day
    report: Mapped[dict[str, Any]] = mapped_column(JSON)
    built_at: Mapped[datetime] = mapped_column(default=utcnow)
