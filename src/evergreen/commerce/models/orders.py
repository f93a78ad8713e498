"""Tables of checkout: orders and their lines, the payment-event inbox and coupons. Amounts are
whole cents (integers); an order's lines add up to its total exactly."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from evergreen.db import Base, utcnow

__all__ = ["Coupon", "InboxEvent", "Order", "OrderLine"]


class Order(Base):
    """One purchase: priced by the server, paid through one provider payment, at most once."""

    __tablename__ = "commerce_orders"
    __table_args__ = (
        UniqueConstraint("provider", "payment_id"),
        Index("ix_commerce_orders_status_created_at", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)  # public, in the buyer's links
    # pending, paid, failed, refunded, partially_refunded or cancelled.
    status: Mapped[str] = mapped_column(String(20), default="pending")
    currency: Mapped[str] = mapped_column(String(3))
    subtotal_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    discount_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    tax_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    total_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    fee_cents: Mapped[int] = mapped_column(BigInteger, default=0)  # what the provider kept
    # When fee_cents became the provider's word (once); None on a paid order: still to learn.
    fee_known_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    buyer_email: Mapped[str] = mapped_column(String(254))
    buyer_name: Mapped[str] = mapped_column(String(200), default="")
    buyer_country: Mapped[str] = mapped_column(String(2), default="")
    buyer_region: Mapped[str] = mapped_column(String(60), default="")
    provider: Mapped[str] = mapped_column(String(20))  # stripe or manual
    payment_id: Mapped[str | None] = mapped_column(String(255), default=None)
    # The provider's customer the paying method is saved on, for one-click upsells after it.
    provider_customer: Mapped[str | None] = mapped_column(String(255), default=None)
    # From the nonce in the checkout form: a double submit finds the first order.
    checkout_key: Mapped[str] = mapped_column(String(100), unique=True)
    coupon_code: Mapped[str] = mapped_column(String(40), default="")
    click_id: Mapped[str] = mapped_column(String(100), default="")  # partner attribution
    funnel_id: Mapped[int | None] = mapped_column(default=None)
    step_id: Mapped[int | None] = mapped_column(default=None)
    variant: Mapped[str | None] = mapped_column(String(40), default=None)
    parent_order_id: Mapped[int | None] = mapped_column(
        ForeignKey("commerce_orders.id", ondelete="SET NULL"), default=None
    )
    # A subscription's period (the first or a renewal): commerce/models/subscriptions.py.
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("commerce_subscriptions.id", ondelete="SET NULL"), default=None, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(default=None)
    refunded_at: Mapped[datetime | None] = mapped_column(default=None)


class OrderLine(Base):
    """One product in an order: the main one, a bump, an upsell or a downsell."""

    __tablename__ = "commerce_order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("commerce_orders.id", ondelete="CASCADE"), index=True
    )
    product_id: Mapped[int] = mapped_column(ForeignKey("commerce_products.id"), index=True)
    product_name: Mapped[str] = mapped_column(String(200))  # as bought, kept if renamed
    role: Mapped[str] = mapped_column(String(10))  # main, bump, upsell or downsell
    quantity: Mapped[int] = mapped_column(default=1)
    unit_cents: Mapped[int] = mapped_column(BigInteger)
    discount_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    tax_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    total_cents: Mapped[int] = mapped_column(BigInteger)


class InboxEvent(Base):
    """A provider event applied once: a second delivery of its id finds this row and stops."""

    __tablename__ = "commerce_payment_events"
    __table_args__ = (UniqueConstraint("provider", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(30))
    payment_id: Mapped[str | None] = mapped_column(String(255), default=None, index=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class Coupon(Base):
    """A discount code: percent off or an amount off in one currency, maybe for one product."""

    __tablename__ = "commerce_coupons"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)  # stored upper-case
    percent_off: Mapped[Decimal | None] = mapped_column(Numeric(5, 2), default=None)
    amount_off_cents: Mapped[int | None] = mapped_column(BigInteger, default=None)
    currency: Mapped[str | None] = mapped_column(String(3), default=None)
    product_id: Mapped[int | None] = mapped_column(
        ForeignKey("commerce_products.id", ondelete="CASCADE"), default=None
    )
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    max_redemptions: Mapped[int | None] = mapped_column(default=None)
    # On a subscription: once (its first period), repeating (duration_periods) or forever.
    duration: Mapped[str] = mapped_column(String(10), default="once")
    duration_periods: Mapped[int | None] = mapped_column(default=None)
    redemptions: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
