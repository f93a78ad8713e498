"""Tables of fulfilment: drop-ship suppliers and the orders forwarded to them (with tracking),
the ship-to address of an order, a product's fulfilment settings, and the engagements a
done-for-you service opens (intake answers, tasks, delivery)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from evergreen.db import Base, utcnow

__all__ = [
    "Engagement",
    "EngagementTask",
    "ExchangeRate",
    "OrderAddress",
    "ProductFulfilment",
    "Supplier",
    "SupplierOrder",
]


class Supplier(Base):
    """Who ships a drop-shipped product, and how an order reaches them (email, webhook, CSV)."""

    __tablename__ = "commerce_suppliers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    email: Mapped[str] = mapped_column(String(254), default="")
    method: Mapped[str] = mapped_column(String(10))  # email, webhook or csv
    webhook_url: Mapped[str] = mapped_column(String(2000), default="")
    # Signs outgoing orders and checks incoming tracking; shown to the owner once.
    webhook_secret: Mapped[str] = mapped_column(String(100))
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProductFulfilment(Base):
    """How a product is fulfilled: its supplier (drop-shipped) or its intake questions, tasks
    and delivery days (a done-for-you service)."""

    __tablename__ = "commerce_product_fulfilment"

    product_id: Mapped[int] = mapped_column(
        ForeignKey("commerce_products.id", ondelete="CASCADE"), primary_key=True
    )
    supplier_id: Mapped[int | None] = mapped_column(
        ForeignKey("commerce_suppliers.id", ondelete="SET NULL"), default=None, index=True
    )
    intake_questions: Mapped[list[str]] = mapped_column(JSON, default=list)
    task_titles: Mapped[list[str]] = mapped_column(JSON, default=list)
    delivery_days: Mapped[int | None] = mapped_column(default=None)


class OrderAddress(Base):
    """Where an order's physical goods go, and the shipping it was charged (whole cents)."""

    __tablename__ = "commerce_order_addresses"

    order_id: Mapped[int] = mapped_column(
        ForeignKey("commerce_orders.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(200))
    line1: Mapped[str] = mapped_column(String(200))
    line2: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100))
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    region: Mapped[str] = mapped_column(String(60), default="")
    country: Mapped[str] = mapped_column(String(2))
    shipping_cents: Mapped[int] = mapped_column(BigInteger, default=0)


class SupplierOrder(Base):
    """One paid order's lines for one supplier: forwarded once, then shipped with tracking."""

    __tablename__ = "commerce_supplier_orders"
    __table_args__ = (
        UniqueConstraint("order_id", "supplier_id"),
        Index("ix_commerce_supplier_orders_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("commerce_orders.id", ondelete="CASCADE"), index=True
    )
    supplier_id: Mapped[int] = mapped_column(
        ForeignKey("commerce_suppliers.id", ondelete="CASCADE"), index=True
    )
    # [{"sku": …, "name": …, "quantity": …}] and the address, as they were when forwarded.
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    ship_to: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # new, sent, failed, shipped; after a refund: cancelled (never sent) or cancel_requested.
    status: Mapped[str] = mapped_column(String(20), default="new")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    tracking_number: Mapped[str] = mapped_column(String(100), default="")
    carrier: Mapped[str] = mapped_column(String(100), default="")
    tracking_url: Mapped[str] = mapped_column(String(2000), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    shipped_at: Mapped[datetime | None] = mapped_column(default=None)
    # When a refund stopped it (whatever its status then), and when the supplier was told.
    stopped_at: Mapped[datetime | None] = mapped_column(default=None)
    cancel_sent_at: Mapped[datetime | None] = mapped_column(default=None)


class ExchangeRate(Base):
    """The owner's rate from a supplier's currency to a checkout's: 1 unit of `base` costs
    `rate` units of `quote` (no rates feed: the owner sets them on the suppliers page)."""

    __tablename__ = "commerce_exchange_rates"
    __table_args__ = (UniqueConstraint("base", "quote"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    base: Mapped[str] = mapped_column(String(3))
    quote: Mapped[str] = mapped_column(String(3))
    rate: Mapped[Decimal] = mapped_column(Numeric(18, 8))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Engagement(Base):
    """A done-for-you service bought: the buyer's intake answers, then delivery by a due date."""

    __tablename__ = "commerce_engagements"
    __table_args__ = (UniqueConstraint("order_id", "product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("commerce_orders.id", ondelete="CASCADE"), index=True
    )
    product_id: Mapped[int] = mapped_column(ForeignKey("commerce_products.id"), index=True)
    buyer_email: Mapped[str] = mapped_column(String(254))
    buyer_name: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(12), default="intake")  # in_progress, delivered
    due_on: Mapped[date | None] = mapped_column(default=None)
    questions: Mapped[list[str]] = mapped_column(JSON, default=list)  # as asked at purchase
    answers: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None] = mapped_column(default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EngagementTask(Base):
    """A piece of work on an engagement, for the owner or a staff member, ticked off when done."""

    __tablename__ = "commerce_engagement_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(
        ForeignKey("commerce_engagements.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    due_on: Mapped[date | None] = mapped_column(default=None)
    done_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
