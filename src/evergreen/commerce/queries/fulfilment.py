"""What the owner's order page reads of its fulfilment: the ship-to address, each supplier
order with its supplier (status, channel, tracking, cancel state) and each service engagement
with its tasks."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.commerce.models import (
    Engagement,
    EngagementTask,
    OrderAddress,
    Product,
    Supplier,
    SupplierOrder,
)
from evergreen.commerce.rules.fulfilment import carrier_link

__all__ = ["EngagementView", "OrderFulfilment", "Shipment", "order_fulfilment"]


@dataclass(frozen=True)
class Shipment:
    """A supplier order as the owner sees it, with where to follow its parcel."""

    row: SupplierOrder
    supplier: Supplier
    tracking_link: str

    @property
    def cancel_state(self) -> str:
        """What a refund did to it, in words ("" when no refund touched it)."""
        row = self.row
        if row.stopped_at is None:
            return ""
        if row.status == "cancelled":
            return "cancelled before it was sent"
        if row.status == "cancel_requested":
            if row.cancel_sent_at is not None:
                return "cancel requested from the supplier"
            return "cancel request waiting to be sent" + (
                f" ({row.last_error})" if row.last_error else ""
            )
        if row.shipped_at is not None and row.shipped_at <= row.stopped_at:
            return "shipped before refund"
        return "shipped after the cancel request"


@dataclass(frozen=True)
class EngagementView:
    """A service bought in the order: the engagement, its product's name and its tasks."""

    row: Engagement
    name: str
    tasks: list[EngagementTask]


@dataclass(frozen=True)
class OrderFulfilment:
    """An order's address, shipments and services (all empty for a digital-only order)."""

    address: OrderAddress | None = None
    shipments: list[Shipment] = field(default_factory=list)
    services: list[EngagementView] = field(default_factory=list)


def order_fulfilment(session: Session, order_id: int) -> OrderFulfilment:
    """The order's fulfilment as its owner's page shows it."""
    shipments = [
        Shipment(row, supplier, carrier_link(row.carrier, row.tracking_number, row.tracking_url))
        for row, supplier in session.execute(
            select(SupplierOrder, Supplier)
            .join(Supplier, Supplier.id == SupplierOrder.supplier_id)
            .where(SupplierOrder.order_id == order_id)
            .order_by(SupplierOrder.id)
        )
    ]
    services = []
    for row, name in session.execute(
        select(Engagement, Product.name)
        .join(Product, Product.id == Engagement.product_id)
        .where(Engagement.order_id == order_id)
        .order_by(Engagement.id)
    ):
        tasks = session.scalars(
            select(EngagementTask)
            .where(EngagementTask.engagement_id == row.id)
            .order_by(EngagementTask.id)
        )
        services.append(EngagementView(row, name, list(tasks)))
    return OrderFulfilment(session.get(OrderAddress, order_id), shipments, services)
