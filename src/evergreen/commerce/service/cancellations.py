"""What a refund does to an order's supplier orders (rules/fulfilment.py decides): cancelled
before they are forwarded, a cancel request to the supplier after (sent by forwarding.py through
the same channel), shipped ones kept; and the owner's resend of an order or a cancel request."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.commerce.models import Order, OrderLine, Supplier, SupplierOrder
from evergreen.commerce.rules.fulfilment import Forwardable, check_resend, refund_stops
from evergreen.errors import NotFound

__all__ = ["resend", "stop_for_refund"]


def _value(row: SupplierOrder, totals: dict[int, int], order_total: int) -> int:
    """What the order lines forwarded in this supplier order were charged; a row forwarded
    before lines were named counts as the whole order (only a full refund stops it)."""
    named = {int(item["line"]) for item in row.lines if "line" in item}
    return sum(totals.get(line_id, 0) for line_id in named) if named else order_total


def stop_for_refund(session: Session, order: Order, now: datetime) -> list[SupplierOrder]:
    """Stop the supplier orders the order's refunds cover (in the refund's transaction, each
    row locked); the ones a refund stopped, with their new status."""
    rows = list(
        session.scalars(
            select(SupplierOrder)
            .where(SupplierOrder.order_id == order.id)
            .order_by(SupplierOrder.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )
    if not rows:
        return []
    totals = dict(
        session.execute(
            select(OrderLine.id, OrderLine.total_cents).where(OrderLine.order_id == order.id)
        ).all()
    )
    seen = [
        Forwardable(r.id, r.status, r.stopped_at is not None, _value(r, totals, order.total_cents))
        for r in rows
    ]
    stops = refund_stops(order.status == "refunded", order.refunded_cents, seen)
    methods = dict(session.execute(select(Supplier.id, Supplier.method)).all())
    stopped = []
    for row in rows:
        if row.id not in stops:
            continue
        row.status, row.stopped_at = stops[row.id], now
        if row.status == "cancel_requested":  # forwarding.py tells the supplier
            row.attempts, row.last_error, row.cancel_sent_at = 0, "", None
            row.next_attempt_at = now if methods.get(row.supplier_id) != "csv" else None
        elif row.status == "cancelled":
            row.next_attempt_at = None
        stopped.append(row)
    session.flush()
    return stopped


def resend(session: Session, supplier_order_id: int, now: datetime) -> SupplierOrder:
    """Send a supplier order again (or its cancel request): due now, or in the next CSV."""
    row = session.scalar(
        select(SupplierOrder)
        .where(SupplierOrder.id == supplier_order_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if row is None:
        raise NotFound("supplier_order", "no such supplier order")
    what = check_resend(row.status)
    method = session.scalar(select(Supplier.method).where(Supplier.id == row.supplier_id))
    if what == "order":
        row.status, row.sent_at = "new", None
    else:
        row.cancel_sent_at = None
    row.attempts, row.last_error = 0, ""
    row.next_attempt_at = now if method != "csv" else None
    session.flush()
    return row
