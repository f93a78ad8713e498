"""What the order pages, API and commands read: orders with their lines and payment events,
coupons, and a funnel's sale lines (for the funnels area's report)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.models import (
    Coupon,
    FunnelSalesDaily,
    InboxEvent,
    Order,
    OrderLine,
)
from evergreen.commerce.rules.checkout import ORDER_STATUSES
from evergreen.commerce.rules.products import from_cents

__all__ = [
    "ORDERS_PAGE",
    "FunnelSale",
    "OrderCard",
    "coupon_dict",
    "funnel_sales",
    "list_orders",
    "order_card",
    "order_dict",
]

ORDERS_PAGE = 50


@dataclass(frozen=True)
class OrderCard:
    """An order as its page shows it: the row, its lines and the provider events seen."""

    order: Order
    lines: tuple[OrderLine, ...]
    events: tuple[InboxEvent, ...]


@dataclass(frozen=True)
class FunnelSale:
    """`orders` paid order lines of a funnel alike (one day, step, variant, role, currency),
    summed, for its analytics (cents; each line's share of refunds and fee)."""

    role: str
    amount_net: int  # the lines' totals less tax
    refunded: int  # their shares of refunds, less tax
    fee: int  # their shares of the payment fees
    day: date  # the day they were paid (UTC)
    step_id: int  # 0: no step
    variant: str  # "": no variant
    currency: str
    orders: int


_ROLE_ORDER = case(
    {"main": 0, "bump": 1, "upsell": 2, "downsell": 3}, value=FunnelSalesDaily.role, else_=4
)


def list_orders(
    session: Session,
    *,
    status: str | None = None,
    product_id: int | None = None,
    page: int = 1,
    size: int = ORDERS_PAGE,
) -> tuple[list[Order], int]:
    """Orders newest first, filtered by status and product, one page; and how many match.
    An unknown status is refused, as a list of subscriptions refuses one."""
    if status and status not in ORDER_STATUSES:
        raise CommerceInputError("status", f"must be one of {', '.join(ORDER_STATUSES)}")
    query = select(Order)
    if status:
        query = query.where(Order.status == status)
    if product_id is not None:
        has = select(OrderLine.id).where(
            OrderLine.order_id == Order.id, OrderLine.product_id == product_id
        )
        query = query.where(has.exists())
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Order.created_at.desc(), Order.id.desc())
        .offset((max(page, 1) - 1) * size)
        .limit(size)
    )
    return list(rows), int(total)


def order_card(session: Session, order_id: int) -> OrderCard | None:
    """One order with its lines and the events its payment received, or None."""
    row = session.get(Order, order_id)
    if row is None:
        return None
    lines = session.scalars(
        select(OrderLine).where(OrderLine.order_id == row.id).order_by(OrderLine.id)
    )
    events: list[InboxEvent] = []
    if row.payment_id:
        events = list(
            session.scalars(
                select(InboxEvent)
                .where(InboxEvent.payment_id == row.payment_id)
                .order_by(InboxEvent.received_at, InboxEvent.id)
            )
        )
    return OrderCard(row, tuple(lines), tuple(events))


def _money(cents: int) -> str:
    return f"{from_cents(cents)}"


def order_dict(order: Order, lines: tuple[OrderLine, ...] | None = None) -> dict[str, Any]:
    """The API's view of an order: amounts as decimal strings, never floats."""
    data: dict[str, Any] = {
        "id": order.id, "number": order.number, "status": order.status,
        "currency": order.currency, "subtotal": _money(order.subtotal_cents),
        "discount": _money(order.discount_cents), "tax": _money(order.tax_cents),
        "total": _money(order.total_cents), "refunded": _money(order.refunded_cents),
        "fee": _money(order.fee_cents),
        "fee_known_at": order.fee_known_at.isoformat() if order.fee_known_at else None,
        "email": order.buyer_email, "name": order.buyer_name,
        "country": order.buyer_country, "region": order.buyer_region,
        "provider": order.provider, "payment_id": order.payment_id,
        "coupon": order.coupon_code, "click_id": order.click_id, "funnel_id": order.funnel_id,
        "step_id": order.step_id, "variant": order.variant,
        "created_at": order.created_at.isoformat(),
        "paid_at": order.paid_at.isoformat() if order.paid_at else None,
        "refunded_at": order.refunded_at.isoformat() if order.refunded_at else None,
    }  # fmt: skip
    if lines is not None:
        data["lines"] = [
            {"product_id": line.product_id, "name": line.product_name, "role": line.role,
             "quantity": line.quantity, "unit": _money(line.unit_cents),
             "discount": _money(line.discount_cents), "tax": _money(line.tax_cents),
             "total": _money(line.total_cents)}
            for line in lines
        ]  # fmt: skip
    return data


def coupon_dict(row: Coupon) -> dict[str, Any]:
    """The API's view of a coupon."""
    return {
        "id": row.id, "code": row.code,
        "percent_off": f"{row.percent_off.normalize():f}" if row.percent_off is not None else None,
        "amount_off": _money(row.amount_off_cents) if row.amount_off_cents is not None else None,
        "currency": row.currency, "product_id": row.product_id,
        "expires_at": row.expires_at.isoformat() if row.expires_at else None,
        "max_redemptions": row.max_redemptions, "redemptions": row.redemptions,
        "duration": row.duration, "duration_periods": row.duration_periods,
    }  # fmt: skip


def funnel_sales(
    session: Session, funnel_id: int, start: datetime, end: datetime
) -> list[FunnelSale]:
    """A funnel's paid order lines summed per paid day (the days [start, end) touches), step,
    variant, role and currency: one indexed range read of the daily rollup, for its report."""
    first = start.date()
    last = end.date() if end.time() == time() else end.date() + timedelta(days=1)
    row = FunnelSalesDaily
    rows = session.execute(
        select(row.role, row.net_cents, row.refunded_cents, row.fee_cents, row.day, row.step_id,
               row.variant, row.currency, row.orders)
        .where(row.funnel_id == funnel_id, row.day >= first, row.day < last)
        .order_by(row.day, row.step_id, row.variant, _ROLE_ORDER, row.currency)
    )  # fmt: skip
    return [
        FunnelSale(role, int(net), int(back), int(fee), day, int(step), variant, currency, int(n))
        for role, net, back, fee, day, step, variant, currency, n in rows
    ]
