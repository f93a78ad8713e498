"""Tables of the commerce catalog: products, their prices, files and bundle items, and the
owner's tax rates. Amounts are whole cents (integers), never floats."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from evergreen.db import Base, utcnow

__all__ = ["BundleItem", "Price", "Product", "ProductFile", "TaxRate"]


class Product(Base):
    """Something the owner sells: digital, subscription, service, physical or a bundle."""

    __tablename__ = "commerce_products"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    # draft, active, paused or archived; the reason says why (the margin guard's words).
    status: Mapped[str] = mapped_column(String(20), default="draft")
    status_reason: Mapped[str] = mapped_column(String(500), default="")
    description: Mapped[str] = mapped_column(Text, default="")  # Markdown
    # A physical product's supplier: who ships it, their SKU, cost and shipping per zone.
    supplier_name: Mapped[str] = mapped_column(String(200), default="")
    supplier_sku: Mapped[str] = mapped_column(String(100), default="")
    supplier_currency: Mapped[str | None] = mapped_column(String(3), default=None)
    supplier_cost_cents: Mapped[int | None] = mapped_column(BigInteger, default=None)
    # {"US": 450, "*": 900}: shipping in cents per zone ("*": any other zone).
    shipping_cents: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    processing_days: Mapped[int | None] = mapped_column(default=None)
    # Delivery (commerce/models/delivery.py): downloads a grant allows (None: unlimited), the
    # hours a download link lives (None: 24) and activations per license key (None: no keys).
    download_limit: Mapped[int | None] = mapped_column(default=None)
    link_hours: Mapped[int | None] = mapped_column(default=None)
    license_activations: Mapped[int | None] = mapped_column(default=None)
    # The order bump offered on this product's checkout page (a checkbox), with its headline.
    bump_product_id: Mapped[int | None] = mapped_column(
        ForeignKey("commerce_products.id", ondelete="SET NULL"), default=None
    )
    bump_headline: Mapped[str] = mapped_column(String(200), default="")
    # Subscription products sharing a family are plans a subscriber can change between.
    plan_family: Mapped[str] = mapped_column(String(60), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Price(Base):
    """A product's price in one currency; a subscription's has its interval and trial."""

    __tablename__ = "commerce_prices"
    __table_args__ = (UniqueConstraint("product_id", "currency"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("commerce_products.id", ondelete="CASCADE"), index=True
    )
    currency: Mapped[str] = mapped_column(String(3))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    compare_at_cents: Mapped[int | None] = mapped_column(BigInteger, default=None)
    interval: Mapped[str | None] = mapped_column(String(10), default=None)  # month or year
    trial_days: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProductFile(Base):
    """A file a digital product delivers, stored under the data folder (commerce/<id>/)."""

    __tablename__ = "commerce_files"
    __table_args__ = (UniqueConstraint("product_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("commerce_products.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))  # as the buyer downloads it
    path: Mapped[str] = mapped_column(String(300))  # relative to the data folder
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BundleItem(Base):
    """One product inside a bundle, and how many of it one bundle holds."""

    __tablename__ = "commerce_bundle_items"
    __table_args__ = (UniqueConstraint("bundle_id", "product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bundle_id: Mapped[int] = mapped_column(
        ForeignKey("commerce_products.id", ondelete="CASCADE"), index=True
    )
    product_id: Mapped[int] = mapped_column(
        ForeignKey("commerce_products.id", ondelete="CASCADE"), index=True
    )
    quantity: Mapped[int] = mapped_column(default=1, server_default="1")


class TaxRate(Base):
    """The owner's tax rate for a country (and optionally a region): no tax engine, a table."""

    __tablename__ = "commerce_tax_rates"
    __table_args__ = (UniqueConstraint("country", "region"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    country: Mapped[str] = mapped_column(String(2))  # ISO 3166-1 alpha-2
    region: Mapped[str] = mapped_column(String(60), default="")  # "" for the whole country
    percent: Mapped[Decimal] = mapped_column(Numeric(7, 4))
    inclusive: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
