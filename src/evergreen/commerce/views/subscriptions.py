"""/commerce/subscriptions: the owner's subscriptions (status filter, pages of 50) and one with
its periods, renewal orders and events; a cancellation (at the period's end or now) after a
confirmation. Staff read; the owner writes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from evergreen.commerce import service
from evergreen.commerce.rules.billing import STATUSES
from evergreen.commerce.rules.products import from_cents
from evergreen.commerce.views.products import Done, FormStr
from evergreen.db import utcnow
from evergreen.errors import InputError
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DashboardUser, DbId, OwnerUser, PageNumber, SessionDep
from evergreen.web.forms import Confirmation, FormPageDep, ask_first
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(prefix="/commerce/subscriptions", include_in_schema=False)
_DONE = {"canceled": "Cancelled.", "ended": "Ended now."}


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
    context: dict[str, Any] = {
        "title": f"Subscription {card.subscription.id}", "card": card, "sub": card.subscription,
        "money": _money, "error": error, "done": _DONE.get(done, ""),
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
