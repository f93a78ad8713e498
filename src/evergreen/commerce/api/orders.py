"""/api/v1/commerce/orders: orders with their lines; the owner refunds and marks bank transfers
paid. Staff read; the owner writes. Amounts are decimal strings, never floats."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Query, Request
from pydantic import Field

from evergreen.commerce import queries, service
from evergreen.commerce.rules.checkout import ORDER_STATUSES
from evergreen.commerce.rules.products import to_cents
from evergreen.db import utcnow
from evergreen.errors import NotFound
from evergreen.mail.transactional import deliver_async
from evergreen.siteurl import site_url
from evergreen.web.bodies import RequestBody
from evergreen.web.deps import (
    ApiOwner,
    ApiStaff,
    DbId,
    DbIdQuery,
    PageNumber,
    SessionDep,
    SettingsDep,
)

__all__ = ["router"]

router = APIRouter(prefix="/commerce", tags=["commerce"])
Status = Annotated[str | None, Query(max_length=20, description=", ".join(ORDER_STATUSES))]


class RefundIn(RequestBody):
    """A refund: an amount (none: all that is left) and a key that makes a retry refund once."""

    amount: Decimal | None = Field(None, description='Like "9.00"; omitted: the rest.')
    idempotency_key: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    cancel_subscription: bool = Field(
        False, description="A subscription's period: also end the subscription now."
    )


@router.get("/orders", operation_id="list_commerce_orders")
def list_orders(
    session: SessionDep,
    user: ApiStaff,
    status: Status = None,
    product_id: DbIdQuery = None,
    page: PageNumber = 1,
) -> dict[str, Any]:
    """Orders newest first, by status and product, a page of 50 at a time."""
    rows, total = queries.list_orders(session, status=status, product_id=product_id, page=page)
    return {"total": total, "page": page, "orders": [queries.order_dict(row) for row in rows]}


def _card(session: SessionDep, order_id: int) -> dict[str, Any]:
    card = queries.order_card(session, order_id)
    if card is None:
        raise NotFound("order", "no such order")
    data = queries.order_dict(card.order, card.lines)
    data["events"] = [
        {"event_id": e.event_id, "kind": e.kind, "received_at": e.received_at.isoformat()}
        for e in card.events
    ]
    return data


@router.get("/orders/{order_id}", operation_id="get_commerce_order")
def get_order(order_id: DbId, session: SessionDep, user: ApiStaff) -> dict[str, Any]:
    """One order with its lines and the payment events it received."""
    return _card(session, order_id)


@router.post("/orders/{order_id}/refund", operation_id="refund_commerce_order")
def refund_order(
    order_id: DbId, body: RefundIn, request: Request, session: SessionDep, user: ApiOwner
) -> dict[str, Any]:
    """Owner only: refund part or the rest; commissions and the ledger follow in proportion. A
    subscription's period: the subscription continues unless `cancel_subscription`."""
    cents = to_cents("amount", body.amount) if body.amount is not None else None
    provider = service.provider_for(request.app.state.settings)
    service.refund_order(
        session, provider, order_id, cents, body.idempotency_key, utcnow(),
        cancel_now=body.cancel_subscription,
    )  # fmt: skip
    return _card(session, order_id)


@router.post("/orders/{order_id}/mark-paid", operation_id="mark_commerce_order_paid")
def mark_paid(
    order_id: DbId,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    background: BackgroundTasks,
    user: ApiOwner,
) -> dict[str, Any]:
    """Owner only: the bank transfer arrived; the receipt goes to the buyer (once)."""
    secret = request.app.state.secret
    done = service.mark_manual_paid(session, order_id, secret, utcnow())
    if done.newly_paid and done.order_number:
        message = service.receipt_mail(session, done.order_number, secret, site_url(request))
        background.add_task(deliver_async, settings, message, "order receipt")
    return _card(session, order_id)
