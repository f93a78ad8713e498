"""Drop-ship suppliers and their orders: the owner's suppliers (a secret each, shown once),
which product ships from whom, and one supplier order per (paid order, supplier); tracking is
in service/tracking.py."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.models import (
    BundleItem,
    Order,
    OrderAddress,
    OrderLine,
    Product,
    ProductFulfilment,
    Supplier,
    SupplierOrder,
)
from evergreen.commerce.rules.fulfilment import (
    SUPPLIER_ORDER_STATUSES,
    check_supplier,
)
from evergreen.errors import Conflict, NotFound

__all__ = [
    "ORDERS_PAGE",
    "add_supplier",
    "fulfilment_of",
    "get_supplier",
    "get_supplier_order",
    "list_supplier_orders",
    "list_suppliers",
    "open_supplier_orders",
    "physical_items",
    "set_product_supplier",
    "supplier_of",
    "update_supplier",
]

ORDERS_PAGE = 50


def add_supplier(
    session: Session, name: str, email: str, method: str, webhook_url: str, currency: str
) -> tuple[Supplier, str]:
    """A new supplier and its secret (shown to the owner this once, kept for signing)."""
    name, email, method, webhook_url, currency = check_supplier(
        name, email, method, webhook_url, currency
    )
    if session.scalar(select(Supplier.id).where(Supplier.name == name)) is not None:
        raise Conflict("name", f"a supplier named {name} exists already")
    secret = f"sup_{secrets.token_urlsafe(24)}"
    row = Supplier(name=name, email=email, method=method, webhook_url=webhook_url,
                   webhook_secret=secret, currency=currency)  # fmt: skip
    session.add(row)
    session.flush()
    return row, secret


def get_supplier(session: Session, supplier_id: int) -> Supplier:
    """The supplier, or NotFound."""
    row = session.get(Supplier, supplier_id)
    if row is None:
        raise NotFound("supplier", "no such supplier")
    return row


def update_supplier(
    session: Session,
    supplier_id: int,
    name: str,
    email: str,
    method: str,
    webhook_url: str,
    currency: str,
) -> Supplier:
    """Change a supplier's settings (its secret stays)."""
    row = get_supplier(session, supplier_id)
    name, email, method, webhook_url, currency = check_supplier(
        name, email, method, webhook_url, currency
    )
    other = session.scalar(select(Supplier.id).where(Supplier.name == name))
    if other is not None and other != row.id:
        raise Conflict("name", f"a supplier named {name} exists already")
    row.name, row.email, row.method = name, email, method
    row.webhook_url, row.currency = webhook_url, currency
    session.flush()
    return row


def list_suppliers(session: Session) -> list[Supplier]:
    """Every supplier by name."""
    return list(session.scalars(select(Supplier).order_by(Supplier.name)))


def fulfilment_of(session: Session, product_id: int) -> ProductFulfilment:
    """The product's fulfilment settings (a fresh row when it has none yet)."""
    row = session.get(ProductFulfilment, product_id)
    if row is None:
        if session.get(Product, product_id) is None:
            raise NotFound("product", "no such product")
        row = ProductFulfilment(product_id=product_id, intake_questions=[], task_titles=[])
        session.add(row)
        session.flush()
    return row


def set_product_supplier(session: Session, product_id: int, supplier_id: int | None) -> Product:
    """Name the supplier a physical product ships from (its supplier name follows)."""
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound("product", "no such product")
    supplier = get_supplier(session, supplier_id) if supplier_id is not None else None
    if supplier is not None and product.kind != "physical":
        raise CommerceInputError("supplier_id", "only a physical product ships from a supplier")
    fulfilment_of(session, product_id).supplier_id = supplier.id if supplier else None
    if supplier is not None:
        product.supplier_name = supplier.name
    session.flush()
    return product


def supplier_of(session: Session, product: Product) -> Supplier | None:
    """Who ships the product: the linked supplier, else the one its supplier name names."""
    linked = session.get(ProductFulfilment, product.id)
    if linked is not None and linked.supplier_id is not None:
        return session.get(Supplier, linked.supplier_id)
    if not product.supplier_name:
        return None
    return session.scalar(select(Supplier).where(Supplier.name == product.supplier_name))


def physical_items(session: Session, product: Product, quantity: int) -> list[tuple[Product, int]]:
    """What buying `quantity` of a product ships: itself when physical, a bundle's physical
    items (quantity per bundle times bundles bought), else nothing."""
    if product.kind == "physical":
        return [(product, quantity)]
    if product.kind != "bundle":
        return []
    rows = session.execute(
        select(Product, BundleItem.quantity)
        .join(BundleItem, BundleItem.product_id == Product.id)
        .where(BundleItem.bundle_id == product.id, Product.kind == "physical")
        .order_by(BundleItem.id)
    )
    return [(item, per * quantity) for item, per in rows]


def open_supplier_orders(
    session: Session, order: Order, lines: Sequence[tuple[OrderLine, Product]], now: datetime
) -> list[SupplierOrder]:
    """One supplier order per supplier of the order's physical lines (a bundle's physical items
    too, quantity per bundle times bundles bought), once: a replay (or a concurrent caller) finds
    the row the unique (order, supplier) keeps. Each item names its order line (a refund reads
    what was charged for it)."""
    grouped: dict[int, tuple[Supplier, list[dict[str, Any]]]] = {}
    for line, bought in lines:
        for product, quantity in physical_items(session, bought, line.quantity):
            supplier = supplier_of(session, product)
            if supplier is None:
                continue
            name = line.product_name if product.id == bought.id else product.name
            item = {"sku": product.supplier_sku or product.slug, "name": name,
                    "quantity": quantity, "line": line.id}  # fmt: skip
            grouped.setdefault(supplier.id, (supplier, []))[1].append(item)
    address = session.get(OrderAddress, order.id)
    ship_to = {
        key: getattr(address, key) if address else ""
        for key in ("name", "line1", "line2", "city", "postal_code", "region", "country")
    }
    opened = []
    for supplier, items in grouped.values():
        if session.scalar(
            select(SupplierOrder.id).where(
                SupplierOrder.order_id == order.id, SupplierOrder.supplier_id == supplier.id
            )
        ):
            continue
        row = SupplierOrder(
            order_id=order.id, supplier_id=supplier.id, lines=items, ship_to=ship_to,
            status="new", created_at=now,
            next_attempt_at=now if supplier.method != "csv" else None,
        )  # fmt: skip
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            continue
        opened.append(row)
    return opened


def get_supplier_order(session: Session, supplier_order_id: int) -> SupplierOrder:
    """The supplier order, or NotFound."""
    row = session.get(SupplierOrder, supplier_order_id)
    if row is None:
        raise NotFound("supplier_order", "no such supplier order")
    return row


def list_supplier_orders(
    session: Session,
    *,
    status: str | None = None,
    supplier_id: int | None = None,
    page: int = 1,
) -> tuple[list[tuple[SupplierOrder, Supplier, Order]], int]:
    """Supplier orders newest first, by status and supplier, a page at a time, and the count."""
    if status is not None and status not in SUPPLIER_ORDER_STATUSES:
        raise CommerceInputError("status", f"must be one of {', '.join(SUPPLIER_ORDER_STATUSES)}")
    query = (
        select(SupplierOrder, Supplier, Order)
        .join(Supplier, Supplier.id == SupplierOrder.supplier_id)
        .join(Order, Order.id == SupplierOrder.order_id)
    )
    if status:
        query = query.where(SupplierOrder.status == status)
    if supplier_id:
        query = query.where(SupplierOrder.supplier_id == supplier_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(
        query.order_by(SupplierOrder.id.desc()).limit(ORDERS_PAGE).offset((page - 1) * ORDERS_PAGE)
    )
    return [(s, p, o) for s, p, o in rows], total
