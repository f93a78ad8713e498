"""/commerce/subscriptions: the owner's subscriptions (status filter, pages of 50) and one with
its periods, renewal orders and events; a cancellation (at the period's end or now) and a plan
change (the prorated amount shown first) after a confirmation, and a scheduled change called
off. Staff read; the owner writes."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from evergreen.commerce import service
from evergreen.commerce.rules.billing import STATUSES
from evergreen.commerce.rules.products import from_cents
from evergreen.commerce.views.products import Done, FormStr
from evergreen.db import utcnow
from evergreen.digits import row_id
from evergreen.errors import InputError
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DashboardUser, DbId, OwnerUser, PageNumber, SessionDep
from evergreen.web.forms import CONFIRMED, Confirmation, FormPageDep, ask_first
from evergreen.web.templates import render

__all__ = ["change_step", "router"]

router = APIRouter(prefix="/commerce/subscriptions", include_in_schema=False)
_DONE = {
    "canceled": "Cancelled.", "ended": "Ended now.", "changed": "Plan changed.",
    "scheduled": "Plan change scheduled for the renewal.", "kept": "Scheduled change called off.",
}  # fmt: skip


def _money(cents: int, currency: str) -> str:
    return f"{from_cents(cents)} {currency}"


@router.get("")
def subscriptions_page(
    request: Request,
    session: SessionDep,
    user: DashboardUser,
    status: Annotated[str, Query(max_length=20)] = "",
    page: PageNumber = 1,
) -> Response:
    """Subscriptions newest first, filtered by status."""
    chosen = status if status in STATUSES else ""
    rows, total = service.subscriptions.list_subscriptions(session, chosen or None, page)
    pages = max(1, -(-total // service.subscriptions.SUBSCRIPTIONS_PAGE))
    context: dict[str, Any] = {
        "title": "Subscriptions", "rows": rows, "total": total, "page": page, "pages": pages,
        "status": chosen, "statuses": STATUSES, "money": _money,
    }  # fmt: skip
    return render(request, "commerce/subscriptions.html", context)


def _show(
    request: Request, session: Session, subscription_id: int, *, error: InputError | None = None,
    done: str = "",
) -> Response:  # fmt: skip
    card = service.subscriptions.subscription_card(session, subscription_id)
    sub = card.subscription
    choices = service.subscriptions.plan_choices(session, sub) if sub.status != "ended" else []
    context: dict[str, Any] = {
        "title": f"Subscription {sub.id}", "card": card, "sub": sub, "money": _money,
        "error": error, "done": _DONE.get(done, ""), "choices": choices,
        "pending": service.subscriptions.pending_plan(session, sub),
        "nonce": secrets.token_urlsafe(18),
    }  # fmt: skip
    status = 400 if error else 200
    return render(request, "commerce/subscription.html", context, status_code=status)


@router.get("/{subscription_id:int}")
def subscription_page(
    request: Request,
    subscription_id: DbId,
    session: SessionDep,
    user: DashboardUser,
    done: Done = "",
) -> Response:
    """One subscription: its periods, orders, events and the owner's cancel form."""
    return _show(request, session, subscription_id, done=done)


@router.post("/{subscription_id:int}/cancel")
def cancel(
    request: Request,
    subscription_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    when: FormStr = "period_end",
    confirm: FormStr = "",
) -> Response:
    """Owner only: cancel at the period's end, or now, once confirmed."""
    form.on_error(lambda error: _show(request, session, subscription_id, error=error))
    sub = service.subscriptions.get_subscription(session, subscription_id)
    now = when == "now"
    step = Confirmation(
        title=f"Cancel subscription {sub.id} of {sub.buyer_email}?",
        consequence="It ends now and what it granted stops; this cannot be undone."
        if now
        else "It runs to the end of the period paid for and then ends; until then it can be "
        "reactivated.",
        button="End now" if now else "Cancel at period end",
        cancel=f"/commerce/subscriptions/{subscription_id}",
        fields={"when": when},
    )
    if (asked := ask_first(request, confirm, step)) is not None:
        return asked
    service.subscriptions.cancel(session, subscription_id, utcnow(), at_period_end=not now)
    done = "ended" if now else "canceled"
    return RedirectResponse(f"/commerce/subscriptions/{subscription_id}?done={done}", 303)


def change_step(
    quote: service.subscriptions.ChangeQuote, title: str, cancel: str, fields: dict[str, str]
) -> Confirmation:
    """The confirmation of a plan change: the prorated amount charged now, or the renewal date."""
    price, name = quote.price, quote.product.name
    plan = f"{name}, {_money(price.amount_cents, price.currency)} a {price.interval}"
    if not quote.now:
        when = quote.at.strftime("%Y-%m-%d") if quote.at else "the renewal"
        consequence = (
            f"It moves to {plan} at the renewal on {when}; until then the plan stays as it is, "
            "and the change can be called off."
        )
    elif quote.charge.total:
        charged = _money(quote.charge.total, price.currency)
        tax = f", tax {_money(quote.charge.tax, price.currency)}" if quote.charge.tax else ""
        consequence = (
            f"It moves to {plan} now. {charged} (prorated for the rest of this period{tax}) is "
            "charged now on the saved card; this cannot be undone."
        )
    else:
        consequence = f"It moves to {plan} now; nothing is charged now."
    return Confirmation(
        title=title, consequence=consequence, button="Change plan", cancel=cancel, fields=fields
    )


@router.post("/{subscription_id:int}/change")
def change(
    request: Request,
    subscription_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    price_id: FormStr = "",
    nonce: FormStr = "",
    confirm: FormStr = "",
) -> Response:
    """Owner only: change the plan once the prorated amount (or the renewal date) is confirmed."""
    form.on_error(lambda error: _show(request, session, subscription_id, error=error))
    chosen = row_id(price_id) or 0
    provider = service.provider_for(request.app.state.settings)
    subs = service.subscriptions
    back = f"/commerce/subscriptions/{subscription_id}"
    if confirm != CONFIRMED:  # confirmed, a second submit finds the change it made
        quote = subs.quote_change(session, provider, subscription_id, chosen, utcnow())
        fields = {"price_id": price_id, "nonce": nonce}
        step = change_step(quote, f"Change subscription {subscription_id}'s plan?", back, fields)
        return ask_first(request, confirm, step) or RedirectResponse(back, 303)
    secret = request.app.state.secret
    done = subs.change_plan(session, provider, subscription_id, chosen, nonce, secret, utcnow())
    return RedirectResponse(f"{back}?done={done.outcome}", 303)


@router.post("/{subscription_id:int}/change/cancel")
def cancel_change(
    request: Request,
    subscription_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
) -> Response:
    """Owner only: call off a scheduled plan change; it renews on its plan as before."""
    form.on_error(lambda error: _show(request, session, subscription_id, error=error))
    service.subscriptions.cancel_change(session, subscription_id)
    return RedirectResponse(f"/commerce/subscriptions/{subscription_id}?done=kept", 303)
