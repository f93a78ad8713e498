"""Shipping at checkout (the zone's price for each physical line, a bundle's physical items
included, converted at the owner's rate; the ship-to address kept with the order) and the hook
a paid order calls to open its supplier orders and engagements."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.models import (
    Engagement,
    Order,
    OrderAddress,
    OrderLine,
    Product,
    SupplierOrder,
)
from evergreen.commerce.rules.shipping import Address, line_shipping
from evergreen.commerce.service import engagements, rates, suppliers
from evergreen.db import utcnow

__all__ = [
    "Fulfilment",
    "ServiceItem",
    "address_of",
    "after_paid",
    "fulfilment_card",
    "is_shipped",
    "shipping_for",
    "store_address",
]


@dataclass(frozen=True)
class ServiceItem:
    """A service the order bought, and the buyer's signed intake link."""

    row: Engagement
    name: str
    link: str


@dataclass(frozen=True)
class Fulfilment:
    """What the buyer's order page shows: the address, each shipment, each service."""

    address: OrderAddress | None = None
    shipments: list[SupplierOrder] = field(default_factory=list)
    services: list[ServiceItem] = field(default_factory=list)


def is_shipped(session: Session, products: Sequence[Product]) -> bool:
    """Whether any of the products ships something (the checkout asks for an address)."""
    return any(suppliers.physical_items(session, product, 1) for product in products)


def shipping_for(
    session: Session,
    items: Sequence[tuple[Product, int]],
    address: Address | None,
    currency: str,
) -> dict[int, int]:
    """Each shipped line's shipping (product id → cents) to the address's zone: a bundle's is
    the sum of its physical items', each converted when its supplier prices in another
    currency."""
    shipped = {p.id: found for p, q in items if (found := suppliers.physical_items(session, p, q))}
    if not shipped:
        return {}
    if address is None:
        raise CommerceInputError("line1", "a shipping address is required for physical goods")
    known = rates.rates(session)
    return {
        product_id: sum(
            line_shipping(
                address.country, item.shipping_cents or {}, quantity, item.supplier_currency,
                currency, known.get((item.supplier_currency or currency, currency)),
            )
            for item, quantity in found
        )
        for product_id, found in shipped.items()
    }  # fmt: skip


def store_address(session: Session, order: Order, address: Address, shipping_cents: int) -> None:
    """Keep the ship-to address with the order (in the checkout's transaction)."""
    session.add(OrderAddress(order_id=order.id, shipping_cents=shipping_cents, **address.as_dict()))
    session.flush()


def address_of(session: Session, order_id: int) -> OrderAddress | None:
    """The order's ship-to address, if it has physical goods."""
    return session.get(OrderAddress, order_id)


def after_paid(
    session: Session,
    order: Order,
    lines: Sequence[tuple[OrderLine, Product]],
    now: datetime | None,
) -> None:
    """A paid order's physical lines go to their suppliers, its services open engagements
    (each once per order: a replay finds them there)."""
    at = now or utcnow()
    suppliers.open_supplier_orders(session, order, lines, at)
    engagements.open_engagements(session, order, lines, at)


def fulfilment_card(session: Session, order: Order, secret: str, base_url: str) -> Fulfilment:
    """The order's address, shipments (with tracking) and services (with intake links)."""
    shipments = session.scalars(
        select(SupplierOrder).where(SupplierOrder.order_id == order.id).order_by(SupplierOrder.id)
    )
    services = [
        ServiceItem(row, product.name, engagements.intake_link(secret, base_url, row.id))
        for row in engagements.engagements_of_order(session, order.id)
        if (product := session.get(Product, row.product_id)) is not None
    ]
    return Fulfilment(session.get(OrderAddress, order.id), list(shipments), services)
