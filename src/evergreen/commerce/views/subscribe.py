"""The public subscribe page /subscribe/<slug>: the plan's price per interval and the buyer's
details; the first period is then paid on the buyer's order page (Stripe.js saves the card for
the renewals, or bank-transfer details), or a trial starts with nothing to pay now. No sign-in;
the form is CSRF-checked and a double submit finds the first subscription."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from evergreen.commerce import service
from evergreen.commerce.rules.checkout import order_token
from evergreen.commerce.rules.products import from_cents
from evergreen.db import utcnow
from evergreen.errors import InputError
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import Public, SessionDep
from evergreen.web.forms import FormPageDep
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
Slug = Annotated[str, Path(max_length=80)]
Field = Annotated[str, Form(max_length=300)]


def _page(
    request: Request, session: Session, slug: str, values: dict[str, str], *,
    error: InputError | None = None, trial: Any = None,
) -> Response:  # fmt: skip
    plan = service.subscriptions.plan_of(session, slug)
    currencies = sorted(plan.prices)
    currency = values.get("currency", "")
    if currency not in plan.prices:
        currency = currencies[0] if currencies else ""
    price = plan.prices.get(currency)
    context: dict[str, Any] = {
        "title": plan.product.name, "product": plan.product, "price": price,
        "shown": f"{from_cents(price.amount_cents)} {currency} a {price.interval}" if price else "",
        "currencies": currencies, "values": {**values, "currency": currency}, "error": error,
        "trial": trial,
    }  # fmt: skip
    return render(request, "commerce/subscribe.html", context, status_code=400 if error else 200)


@router.get("/subscribe/{slug}", dependencies=[Public])
def subscribe_page(
    request: Request, session: SessionDep, slug: Slug,
    currency: Annotated[str, Query(max_length=3)] = "",
) -> Response:  # fmt: skip
    """The plan's subscribe form."""
    click = request.query_params.get("click_id") or request.cookies.get("evg_click", "")
    values = {"currency": currency.upper()[:3], "email": "", "name": "",
              "nonce": secrets.token_urlsafe(18), "click_id": click[:100], "coupon": "",
              "country": "", "region": ""}  # fmt: skip
    return _page(request, session, slug, values)


@router.post("/subscribe/{slug}", dependencies=[Public])
def subscribe(
    request: Request,
    session: SessionDep,
    slug: Slug,
    _csrf: CsrfProtected,
    form: FormPageDep,
    currency: Field = "",
    email: Field = "",
    name: Field = "",
    nonce: Field = "",
    click_id: Field = "",
    coupon: Field = "",
    country: Field = "",
    region: Field = "",
) -> Response:
    """Open the subscription; its first period's order page to pay, or the trial's welcome."""
    values = {"currency": currency, "email": email, "name": name, "nonce": nonce,
              "click_id": click_id, "coupon": coupon, "country": country,
              "region": region}  # fmt: skip
    form.on_error(lambda error: _page(request, session, slug, values, error=error))
    data = service.subscriptions.SubscribeInput(
        slug=slug,
        currency=currency,
        email=email,
        nonce=nonce,
        name=name,
        click_id=click_id,
        coupon=coupon,
        country=country,
        region=region,
    )
    provider = service.provider_for(request.app.state.settings)
    now = utcnow()
    done = service.subscriptions.subscribe(session, provider, data, now)
    if done.order is None:
        return _page(request, session, slug, values, trial=done.subscription)
    secret = request.app.state.secret
    if done.order.total_cents == 0 and done.order.status == "pending":  # a 100 % coupon
        service.mark_manual_paid(session, done.order.id, secret, now)
    token = order_token(secret, done.order.number)
    return RedirectResponse(f"/buy/order/{token}", status_code=303)
