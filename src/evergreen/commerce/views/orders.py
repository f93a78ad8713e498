"""/commerce/orders: the owner's orders (filters: status, product; pages of 50) and one order
with its lines, payment, events and fulfilment (views/order_fulfilment.py acts on it); a refund
and marking a bank transfer paid, each after a confirmation. Staff read; the owner writes."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from evergreen.commerce import queries, service
from evergreen.commerce.rules.checkout import ORDER_STATUSES, order_token
from evergreen.commerce.rules.products import from_cents, to_cents
from evergreen.commerce.views.products import Done, FormStr
from evergreen.db import utcnow
from evergreen.errors import InputError, NotFound
from evergreen.mail.transactional import deliver_async
from evergreen.siteurl import site_url
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import (
    DashboardUser,
    DbId,
    DbIdQuery,
    OwnerUser,
    PageNumber,
    SessionDep,
    SettingsDep,
)
from evergreen.web.forms import Confirmation, FormPageDep, ask_first
from evergreen.web.templates import render

__all__ = ["router", "show_order"]

router = APIRouter(prefix="/commerce/orders", include_in_schema=False)
_DONE = {"refunded": "Refund made.", "paid": "Order marked paid; the receipt is on its way.",
         "resent": "Sent to the supplier again.", "tracking": "Tracking recorded."}  # fmt: skip


def _money(cents: int, currency: str) -> str:
    return f"{from_cents(cents)} {currency}"


@router.get("")
def orders_page(
    request: Request,
    session: SessionDep,
    user: DashboardUser,
    status: Annotated[str, Query(max_length=20)] = "",
    product_id: DbIdQuery = None,
    page: PageNumber = 1,
) -> Response:
    """Orders newest first, filtered by status and product."""
    chosen = status if status in ORDER_STATUSES else ""
    rows, total = queries.list_orders(
        session, status=chosen or None, product_id=product_id, page=page
    )
    pages = max(1, -(-total // queries.ORDERS_PAGE))
    context: dict[str, Any] = {
        "title": "Orders", "orders": rows, "total": total, "page": page, "pages": pages,
        "status": chosen, "statuses": ORDER_STATUSES, "product_id": product_id,
        "products": queries.product_choices(session), "money": _money,
    }  # fmt: skip
    return render(request, "commerce/orders.html", context)


def show_order(
    request: Request,
    session: Session,
    order_id: int,
    *,
    error: InputError | None = None,
    done: str = "",
) -> Response:
    """One order's page (with its fulfilment), and a form's problem if any."""
    card = queries.order_card(session, order_id)
    if card is None:
        raise NotFound("order", "no such order")
    context: dict[str, Any] = {
        "title": f"Order {card.order.number}", "card": card, "order": card.order,
        "money": _money, "error": error, "done": _DONE.get(done, ""),
        "buyer_link": f"{site_url(request)}/buy/order/"
        f"{order_token(request.app.state.secret, card.order.number)}",
        "left": from_cents(card.order.total_cents - card.order.refunded_cents),
        "nonce": secrets.token_urlsafe(18),
        "fulfilment": queries.order_fulfilment(session, order_id),
    }  # fmt: skip
    return render(request, "commerce/order.html", context, status_code=400 if error else 200)


@router.get("/{order_id:int}")
def order_page(
    request: Request, order_id: DbId, session: SessionDep, user: DashboardUser, done: Done = ""
) -> Response:
    """One order: lines, payment, events, and the owner's refund and mark-paid forms."""
    return show_order(request, session, order_id, done=done)


@router.post("/{order_id:int}/refund")
def refund(
    request: Request,
    order_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    amount: FormStr = "",
    nonce: FormStr = "",
    cancel_now: FormStr = "",
    confirm: FormStr = "",
) -> Response:
    """Owner only: refund an amount (empty: the rest) once confirmed; the nonce makes a double
    click refund once. A subscription's period: it continues unless "cancel now" is ticked."""
    form.on_error(lambda error: show_order(request, session, order_id, error=error))
    cents = to_cents("amount", amount) if amount.strip() else None
    order = service.get_order(session, order_id)
    what = _money(cents, order.currency) if cents else "everything not refunded yet"
    ends = cancel_now == "yes"
    after = ""
    if order.subscription_id is not None:
        after = (
            " The subscription ends now and what it granted stops."
            if ends
            else " The subscription continues: only this period's money goes back."
        )
    step = Confirmation(
        title=f"Refund {what} of order {order.number}?",
        consequence="The money goes back to the buyer; the partner's commission and the "
        f"ledger are reversed in proportion.{after} This cannot be undone.",
        button="Refund and cancel now" if ends else "Refund",
        cancel=f"/commerce/orders/{order_id}",
        fields={"amount": amount, "nonce": nonce, "cancel_now": cancel_now},
    )
    if (asked := ask_first(request, confirm, step)) is not None:
        return asked
    provider = service.provider_for(request.app.state.settings)
    service.refund_order(session, provider, order_id, cents, nonce, utcnow(), cancel_now=ends)
    return RedirectResponse(f"/commerce/orders/{order_id}?done=refunded", status_code=303)


@router.post("/{order_id:int}/mark-paid")
def mark_paid(
    request: Request,
    order_id: DbId,
    session: SessionDep,
    settings: SettingsDep,
    background: BackgroundTasks,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    confirm: FormStr = "",
) -> Response:
    """Owner only: the bank transfer arrived (once confirmed); the buyer gets the receipt."""
    form.on_error(lambda error: show_order(request, session, order_id, error=error))
    order = service.get_order(session, order_id)
    step = Confirmation(
        title=f"Mark order {order.number} paid?",
        consequence=f"Only when {_money(order.total_cents, order.currency)} arrived: the buyer "
        "gets the receipt and the purchase, the partner a commission, the ledger the income.",
        button="Mark paid",
        cancel=f"/commerce/orders/{order_id}",
    )
    if (asked := ask_first(request, confirm, step)) is not None:
        return asked
    secret = request.app.state.secret
    done = service.mark_manual_paid(session, order_id, secret, utcnow())
    if done.newly_paid:
        message = service.receipt_mail(session, order.number, secret, site_url(request))
        background.add_task(deliver_async, settings, message, "order receipt")
    return RedirectResponse(f"/commerce/orders/{order_id}?done=paid", status_code=303)
