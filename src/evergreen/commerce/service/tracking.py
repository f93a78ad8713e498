"""Tracking of supplier orders, recorded by the owner or by the supplier's signed webhook: under
the row's lock, shipped once (the buyer's shipped mail once), a replay changing nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.models import Order, SupplierOrder
from evergreen.commerce.rules.fulfilment import check_tracking
from evergreen.commerce.service.suppliers import get_supplier
from evergreen.errors import NotFound
from evergreen.signatures import verify

__all__ = ["Tracked", "record_tracking", "tracking_from_supplier"]


@dataclass(frozen=True)
class Tracked:
    """A supplier order after tracking was recorded; `newly_shipped`: mail the buyer now."""

    row: SupplierOrder
    newly_shipped: bool


def _lock(session: Session, supplier_order_id: int) -> SupplierOrder:
    query = (
        select(SupplierOrder)
        .where(SupplierOrder.id == supplier_order_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    row = session.scalar(query)
    if row is None:
        raise NotFound("supplier_order", "no such supplier order")
    return row


def record_tracking(
    session: Session, supplier_order_id: int, number: str, carrier: str, url: str, now: datetime
) -> Tracked:
    """Tracking for a supplier order: shipped once (the same tracking again changes nothing; a
    corrected one is kept without a second mail)."""
    number, carrier, url = check_tracking(number, carrier, url)
    row = _lock(session, supplier_order_id)
    newly = row.status != "shipped"
    if not newly and (row.tracking_number, row.carrier, row.tracking_url) == (number, carrier, url):
        return Tracked(row, newly_shipped=False)
    row.tracking_number, row.carrier, row.tracking_url = number, carrier, url
    if newly:
        row.status, row.shipped_at = "shipped", now
        row.sent_at = row.sent_at or now
    session.flush()
    return Tracked(row, newly_shipped=newly)


def tracking_from_supplier(
    session: Session, supplier_id: int, signature: str, body: bytes, now: datetime
) -> Tracked:
    """The supplier's tracking webhook: signed with its secret, naming one of its orders."""
    supplier = get_supplier(session, supplier_id)
    if not verify(supplier.webhook_secret, signature, body, now):
        raise CommerceInputError("signature", "the Evergreen-Signature header does not match")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise CommerceInputError("body", "is not JSON") from None
    if not isinstance(data, dict):
        raise CommerceInputError("body", "must be a JSON object")
    number = str(data.get("order", ""))[:24]
    row_id = session.scalar(
        select(SupplierOrder.id)
        .join(Order, Order.id == SupplierOrder.order_id)
        .where(Order.number == number, SupplierOrder.supplier_id == supplier.id)
    )
    if row_id is None:
        raise NotFound("order", "no order of this supplier has that number")
    return record_tracking(
        session, row_id, str(data.get("tracking_number", "")), str(data.get("carrier", "")),
        str(data.get("tracking_url", "") or ""), now,
    )  # fmt: skip
