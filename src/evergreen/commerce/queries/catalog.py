"""What the catalog pages, API and commands read: products with their prices, files, bundle
items and the landed margin of a physical product's prices per shipping zone."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.models import (
    BundleItem,
    Price,
    Product,
    ProductFile,
)
from evergreen.commerce.rules.pricing import margin_of
from evergreen.commerce.rules.products import STATUSES, from_cents
from evergreen.commerce.rules.shipping import convert_cents
from evergreen.commerce.service.rates import rates as exchange_rates
from evergreen.money import show_money

__all__ = [
    "MarginLine",
    "ProductCard",
    "list_products",
    "price_dict",
    "product_card",
    "product_choices",
]


@dataclass(frozen=True)
class MarginLine:
    """What one sale in a currency, shipped to a zone, leaves after supplier cost and shipping."""

    currency: str
    zone: str
    landed: Decimal
    price: Decimal
    margin: Decimal
    margin_percent: Decimal


@dataclass(frozen=True)
class ProductCard:
    """A product as shown and answered: its row, prices, files, bundle items and margins."""

    product: Product
    prices: tuple[Price, ...]
    files: tuple[ProductFile, ...]
    items: tuple[Product, ...]
    margins: tuple[MarginLine, ...]
    quantities: dict[int, int] = field(default_factory=dict)  # bundle item id → per bundle

    def to_dict(self) -> dict[str, Any]:
        """The API's view: amounts as decimal strings, never floats."""
        row = self.product
        return {
            "id": row.id,
            "name": row.name,
            "slug": row.slug,
            "kind": row.kind,
            "status": row.status,
            "status_reason": row.status_reason,
            "description": row.description,
            "prices": [price_dict(price) for price in self.prices],
            "files": [
                {"id": item.id, "name": item.name, "size_bytes": item.size_bytes}
                for item in self.files
            ],
            "bundle_product_ids": [item.id for item in self.items],
            "bundle_quantities": {str(i.id): self.quantities.get(i.id, 1) for i in self.items},
            "supplier": None
            if row.supplier_cost_cents is None
            else {
                "name": row.supplier_name,
                "sku": row.supplier_sku,
                "currency": row.supplier_currency,
                "cost": show_money(from_cents(row.supplier_cost_cents)),
                "shipping": {z: show_money(from_cents(c)) for z, c in row.shipping_cents.items()},
                "processing_days": row.processing_days,
            },
            "margins": [
                {
                    "currency": line.currency,
                    "zone": line.zone,
                    "landed": show_money(line.landed),
                    "price": show_money(line.price),
                    "margin": show_money(line.margin),
                    "margin_percent": f"{line.margin_percent:f}",
                }
                for line in self.margins
            ],
            "created_at": row.created_at.isoformat(),
            "updated_at": row.updated_at.isoformat(),
        }


def price_dict(price: Price) -> dict[str, Any]:
    """One price as the API writes it."""
    compare = price.compare_at_cents
    return {
        "id": price.id,
        "currency": price.currency,
        "amount": show_money(from_cents(price.amount_cents)),
        "compare_at": None if compare is None else show_money(from_cents(compare)),
        "interval": price.interval,
        "trial_days": price.trial_days,
    }


def _prices(session: Session, product_id: int) -> tuple[Price, ...]:
    query = select(Price).where(Price.product_id == product_id).order_by(Price.currency)
    return tuple(session.scalars(query))


def _margins(
    row: Product, prices: tuple[Price, ...], rates: dict[tuple[str, str], Decimal]
) -> tuple[MarginLine, ...]:
    """Each price against the landed cost to each zone, the supplier's cost converted at the
    owner's rate as checkout converts it (a price in a currency without a rate: no line)."""
    if row.supplier_cost_cents is None:
        return ()
    lines = []
    for price in prices:
        rate = Decimal(1)
        if row.supplier_currency and price.currency != row.supplier_currency:
            known = rates.get((row.supplier_currency, price.currency))
            if known is None:
                continue
            rate = known
        for zone, shipping in sorted(row.shipping_cents.items()) or [("*", 0)]:
            landed = from_cents(convert_cents(row.supplier_cost_cents + shipping, rate))
            amount = from_cents(price.amount_cents)
            margin, percent = margin_of(landed, amount)
            lines.append(MarginLine(price.currency, zone, landed, amount, margin, percent))
    return tuple(lines)


def product_card(session: Session, product_id: int) -> ProductCard | None:
    """One product with everything its page shows, or None."""
    row = session.get(Product, product_id)
    if row is None:
        return None
    prices = _prices(session, row.id)
    files = tuple(
        session.scalars(
            select(ProductFile).where(ProductFile.product_id == row.id).order_by(ProductFile.id)
        )
    )
    items = tuple(
        session.scalars(
            select(Product)
            .join(BundleItem, BundleItem.product_id == Product.id)
            .where(BundleItem.bundle_id == row.id)
            .order_by(Product.name)
        )
    )
    quantities = dict(
        session.execute(
            select(BundleItem.product_id, BundleItem.quantity).where(BundleItem.bundle_id == row.id)
        ).all()
    )
    margins = _margins(row, prices, exchange_rates(session))
    return ProductCard(row, prices, files, items, margins, quantities)


def list_products(session: Session, status: str | None = None) -> list[ProductCard]:
    """Every product (or those with a status) by name, with its prices and landed margins;
    an unknown status is refused, not answered with no products."""
    if status and status not in STATUSES:
        raise CommerceInputError("status", f"must be one of {', '.join(STATUSES)}")
    query = select(Product).order_by(Product.name)
    if status:
        query = query.where(Product.status == status)
    products = list(session.scalars(query))
    by_product: dict[int, list[Price]] = {row.id: [] for row in products}
    if products:
        for price in session.scalars(
            select(Price).where(Price.product_id.in_(by_product)).order_by(Price.currency)
        ):
            by_product[price.product_id].append(price)
    rates = exchange_rates(session)
    return [
        ProductCard(
            row, tuple(by_product[row.id]), (), (), _margins(row, tuple(by_product[row.id]), rates)
        )
        for row in products
    ]


def product_choices(session: Session) -> list[tuple[int, str]]:
    """(id, name) of every product that can go in a bundle."""
    query = select(Product.id, Product.name).where(Product.kind != "bundle")
    return [(pid, name) for pid, name in session.execute(query.order_by(Product.name))]
