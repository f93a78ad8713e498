"""The buyers' area's subscriptions (/account): cancel at the period's end after a
confirmation, reactivate before it, change plan (the prorated amount confirmed first; a
downgrade scheduled for the renewal, which they can call off), pay a past-due period (or one
after a delinquent end, which revives it) with a new card (a fresh payment on the buyer's order
page: Stripe.js, whose card is then saved for the renewals), and change the card renewals are
charged on (a SetupIntent confirmed by Stripe.js on /account's card page)."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from evergreen.commerce import service
from evergreen.commerce.rules.checkout import order_token
from evergreen.commerce.views.buyers import purchases_page, signed_in_buyer
from evergreen.commerce.views.products import FormStr
from evergreen.commerce.views.subscriptions import change_step
from evergreen.db import utcnow
from evergreen.digits import row_id
from evergreen.errors import InputError
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DbId, Public, SessionDep
from evergreen.web.forms import Confirmation, ask_first
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(prefix="/account/subscriptions", include_in_schema=False)


@router.post("/{subscription_id:int}/cancel", dependencies=[Public])
def cancel(
    request: Request,
    session: SessionDep,
    subscription_id: DbId,
    _csrf: CsrfProtected,
    confirm: FormStr = "",
) -> Response:
    """A signed-in buyer cancels their own subscription at its period's end, once confirmed."""
    email = signed_in_buyer(request)
    if email is None:
        return RedirectResponse("/account", status_code=303)
    sub = service.subscriptions.get_subscription(session, subscription_id, email)
    end = sub.current_period_end.strftime("%Y-%m-%d") if sub.current_period_end else "now"
    step = Confirmation(
        title="Cancel your subscription?",
        consequence=f"It stays active until {end} and is not renewed after that. You can "
        "reactivate it until then.",
        button="Cancel subscription",
        cancel="/account",
    )
    if (asked := ask_first(request, confirm, step)) is not None:
        return asked
    try:
        service.subscriptions.cancel(session, subscription_id, utcnow(), email=email)
    except InputError as error:
        return purchases_page(request, session, email, error=error.message)
    return RedirectResponse("/account?done=sub-canceled", status_code=303)


@router.post("/{subscription_id:int}/reactivate", dependencies=[Public])
def reactivate(
    request: Request, session: SessionDep, subscription_id: DbId, _csrf: CsrfProtected
) -> Response:
    """A signed-in buyer keeps a subscription they had cancelled, before it ends."""
    email = signed_in_buyer(request)
    if email is None:
        return RedirectResponse("/account", status_code=303)
    try:
        service.subscriptions.reactivate(session, subscription_id, utcnow(), email=email)
    except InputError as error:
        return purchases_page(request, session, email, error=error.message)
    return RedirectResponse("/account?done=sub-reactivated", status_code=303)


@router.post("/{subscription_id:int}/pay", dependencies=[Public])
def pay(
    request: Request, session: SessionDep, subscription_id: DbId, _csrf: CsrfProtected
) -> Response:
    """A signed-in buyer pays a past-due period (a new card) on its order page."""
    email = signed_in_buyer(request)
    if email is None:
        return RedirectResponse("/account", status_code=303)
    provider = service.provider_for(request.app.state.settings)
    try:
        order = service.subscriptions.pay_period(
            session, provider, subscription_id, utcnow(), email=email
        )
    except InputError as error:
        return purchases_page(request, session, email, error=error.message)
    token = order_token(request.app.state.secret, order.number)
    return RedirectResponse(f"/buy/order/{token}", status_code=303)


@router.post("/{subscription_id:int}/card", dependencies=[Public])
def change_card(
    request: Request,
    session: SessionDep,
    subscription_id: DbId,
    _csrf: CsrfProtected,
    nonce: FormStr = "",
) -> Response:
    """A signed-in buyer's card form (Stripe.js) for the card renewals are charged on."""
    email = signed_in_buyer(request)
    if email is None:
        return RedirectResponse("/account", status_code=303)
    settings = request.app.state.settings
    provider = service.provider_for(settings)
    try:
        secret = service.subscriptions.start_card_change(
            session, provider, subscription_id, nonce or secrets.token_urlsafe(12), email=email
        )
    except InputError as error:
        return purchases_page(request, session, email, error=error.message)
    context = {
        "title": "Change your card", "client_secret": secret,
        "publishable_key": settings.stripe_publishable_key, "stripe_js": settings.stripe_js_url,
        "done": f"/account/subscriptions/{subscription_id}/card/done",
    }  # fmt: skip
    response = render(request, "commerce/subscription_card.html", context)
    response.headers["Cache-Control"] = "no-store, private"
    return response


@router.get("/{subscription_id:int}/card/done", dependencies=[Public])
def card_done(
    request: Request,
    session: SessionDep,
    subscription_id: DbId,
    setup: Annotated[str, Query(max_length=255)] = "",
) -> Response:
    """Stripe.js saved the card: it becomes the one renewals are charged on."""
    email = signed_in_buyer(request)
    if email is None:
        return RedirectResponse("/account", status_code=303)
    provider = service.provider_for(request.app.state.settings)
    try:
        service.subscriptions.finish_card_change(
            session, provider, subscription_id, setup, email=email
        )
    except InputError as error:
        return purchases_page(request, session, email, error=error.message)
    return RedirectResponse("/account?done=card", status_code=303)


@router.post("/{subscription_id:int}/change", dependencies=[Public])
def change(
    request: Request,
    session: SessionDep,
    subscription_id: DbId,
    _csrf: CsrfProtected,
    price_id: FormStr = "",
    nonce: FormStr = "",
    confirm: FormStr = "",
) -> Response:
    """A signed-in buyer changes their plan once the prorated amount (or the date) is shown."""
    email = signed_in_buyer(request)
    if email is None:
        return RedirectResponse("/account", status_code=303)
    chosen = row_id(price_id) or 0
    provider = service.provider_for(request.app.state.settings)
    subs = service.subscriptions
    subs.get_subscription(session, subscription_id, email)  # another's: not found
    try:
        quote = subs.quote_change(session, provider, subscription_id, chosen, utcnow(), email)
        step = change_step(
            quote, "Change your plan?", "/account", {"price_id": price_id, "nonce": nonce}
        )
        if (asked := ask_first(request, confirm, step)) is not None:
            return asked
        secret = request.app.state.secret
        done = subs.change_plan(
            session, provider, subscription_id, chosen, nonce, secret, utcnow(), email=email
        )
    except InputError as error:
        return purchases_page(request, session, email, error=error.message)
    return RedirectResponse(f"/account?done=plan-{done.outcome}", status_code=303)


@router.post("/{subscription_id:int}/change/cancel", dependencies=[Public])
def cancel_change(
    request: Request, session: SessionDep, subscription_id: DbId, _csrf: CsrfProtected
) -> Response:
    """A signed-in buyer calls off their scheduled plan change before the renewal."""
    email = signed_in_buyer(request)
    if email is None:
        return RedirectResponse("/account", status_code=303)
    service.subscriptions.get_subscription(session, subscription_id, email)  # another's: not found
    try:
        service.subscriptions.cancel_change(session, subscription_id, email=email)
    except InputError as error:
        return purchases_page(request, session, email, error=error.message)
    return RedirectResponse("/account?done=plan-kept", status_code=303)
