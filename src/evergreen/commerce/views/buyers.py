"""The buyers' area at /account (public): a buyer types their email, gets a signed sign-in
link by mail (the same answer whether or not the address bought anything), and then sees their
purchases — fresh download links, license keys with their activations (one can be freed).
The buyer's session is a signed cookie of its own, apart from the owner's sign-in."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from evergreen.accounts import service as accounts
from evergreen.commerce import service
from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.rules.delivery import (
    BUYER_SESSION_DAYS,
    SIGN_IN_MINUTES,
    LinkRefused,
    buyer_token,
    check_email,
    read_buyer_token,
)
from evergreen.commerce.views.products import FormStr
from evergreen.db import utcnow
from evergreen.errors import InputError
from evergreen.mail.transactional import Transactional, deliver, mail_problem
from evergreen.siteurl import site_url
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import Public, SessionDep, SettingsDep, client_address
from evergreen.web.templates import render

__all__ = ["BUYER_COOKIE", "purchases_page", "router", "signed_in_buyer"]

router = APIRouter(include_in_schema=False)
BUYER_COOKIE = "evergreen_buyer"
Token = Annotated[str, Path(max_length=600)]
_NO_STORE = {"Cache-Control": "no-store, private", "Referrer-Policy": "no-referrer"}
_MAIL = """<p>Hello,</p>
<p>Here is your link to your purchases (downloads and license keys):</p>
<p><a href="{{ subscriber.fields.url }}">Open my purchases</a></p>
<p>The link works for {{ subscriber.fields.minutes }} minutes. If you did not ask for it,
ignore this message.</p>
"""
_DONE = {
    "deactivated": "Activation removed: the key can be activated on another instance.",
    "sub-canceled": "Subscription cancelled: it ends at the end of the period paid for.",
    "sub-reactivated": "Subscription reactivated: it renews as before.",
    "card": "Card changed: the next renewals are charged on it.",
    "plan-changed": "Plan changed.",
    "plan-scheduled": "Plan change scheduled: it takes effect at the renewal.",
    "plan-kept": "Scheduled change called off: your plan stays as it is.",
}


def _page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    response = render(
        request, f"commerce/{name}.html", {"title": "Your purchases", **context}, status_code=status
    )
    response.headers.update(_NO_STORE)
    return response


def _buyer(request: Request) -> str | None:
    cookie = request.cookies.get(BUYER_COOKIE, "")
    if not cookie:
        return None
    try:
        return read_buyer_token(request.app.state.secret, "buyer-session", cookie, utcnow())
    except InputError:
        return None


def _purchases(request: Request, session: Session, email: str, **extra: Any) -> Response:
    now = utcnow()
    base, secret = site_url(request), request.app.state.secret
    items = []
    for grant, key in service.with_licenses(session, service.grants_of_email(session, email)):
        links = service.download_links(session, secret, base, grant.id, now)
        name = service.get_product(session, grant.product_id).name
        expires = links[0].expires.strftime("%Y-%m-%d %H:%M") if links else ""
        items.append({"grant": grant, "key": key, "links": links, "name": name, "expires": expires})
    subs = service.subscriptions.subscriptions_of_email(session, email)
    orders = service.invoices.invoiced_orders_of_email(session, email)
    plans = {
        sub.id: service.subscriptions.plan_choices(session, sub)
        for sub, _name in subs
        if sub.status in ("active", "trialing") and not sub.cancel_at_period_end
    }
    pending = {sub.id: service.subscriptions.pending_plan(session, sub) for sub, _name in subs}
    context = {
        "email": email, "purchases": items, "subscriptions": subs, "orders": orders,
        "plans": plans, "pending": pending, "nonce": secrets.token_urlsafe(18), **extra,
    }  # fmt: skip
    return _page(request, "purchases", context)


@router.get("/account", dependencies=[Public])
def account(request: Request, session: SessionDep, sent: str = "", done: str = "") -> Response:
    """A signed-in buyer's purchases, or the form that mails a sign-in link."""
    email = _buyer(request)
    if email is None:
        return _page(request, "buyer_signin", {"sent": bool(sent), "minutes": SIGN_IN_MINUTES})
    return _purchases(request, session, email, done=_DONE.get(done[:20], ""))


def _mail(settings: Any, email: str, url: str) -> None:
    message = Transactional(
        to=email,
        subject="Your purchases",
        body=_MAIL,
        values={"url": url, "minutes": SIGN_IN_MINUTES},
    )
    deliver(settings, message, "buyer sign-in mail")


@router.post("/account", dependencies=[Public])
def ask_sign_in(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    background: BackgroundTasks,
    _csrf: CsrfProtected,
    email: FormStr = "",
) -> Response:
    """Mail a sign-in link when the address has purchases; the same answer either way (the
    mail goes after the answer, so its time tells nothing either)."""
    try:
        buyer = check_email(email)
    except CommerceInputError as error:
        context = {"error": error.message, "email": email[:254]}
        return _page(request, "buyer_signin", context, 400)
    problem = mail_problem(settings)
    if problem is not None:
        text = "Email is not set up here, so no sign-in link can be sent; ask the seller."
        return _page(request, "buyer_signin", {"problem": text}, 503)
    wait = accounts.mail_request_wait(session, "buyer-sign-in:", buyer, client_address(request))
    if wait is not None:
        minutes = max(1, int(wait.total_seconds() // 60) + 1)
        text = (
            f"Too many sign-in requests from here or for this address. Try again in {minutes} "
            f"minute{'s' if minutes != 1 else ''}."
        )
        page = _page(request, "buyer_signin", {"error": text, "email": buyer}, 429)
        page.headers["Retry-After"] = str(int(wait.total_seconds()) + 1)
        return page
    if (
        service.grants_of_email(session, buyer)
        or service.subscriptions.subscriptions_of_email(session, buyer)
        or service.invoices.invoiced_orders_of_email(session, buyer)
    ):
        expires = utcnow() + timedelta(minutes=SIGN_IN_MINUTES)
        token = buyer_token(request.app.state.secret, "sign-in", buyer, expires)
        background.add_task(_mail, settings, buyer, f"{site_url(request)}/account/signin/{token}")
    return RedirectResponse("/account?sent=1", status_code=303)


def _cookie_expiry(now: datetime) -> datetime:
    return now + timedelta(days=BUYER_SESSION_DAYS)


@router.get("/account/signin/{token}", dependencies=[Public])
def sign_in(request: Request, token: Token, settings: SettingsDep) -> Response:
    """A mailed sign-in link: it sets the buyer's signed cookie and opens their purchases."""
    now = utcnow()
    try:
        email = read_buyer_token(request.app.state.secret, "sign-in", token, now)
    except LinkRefused as error:
        return _page(request, "buyer_signin", {"problem": error.message}, error.status)
    response = RedirectResponse("/account", status_code=303)
    cookie = buyer_token(request.app.state.secret, "buyer-session", email, _cookie_expiry(now))
    response.set_cookie(
        BUYER_COOKIE,
        cookie,
        max_age=BUYER_SESSION_DAYS * 86400,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )
    response.headers.update(_NO_STORE)
    return response


@router.post("/account/signout", dependencies=[Public])
def sign_out(request: Request, _csrf: CsrfProtected) -> Response:
    """End the buyer's session on this browser."""
    response = RedirectResponse("/account", status_code=303)
    response.delete_cookie(BUYER_COOKIE)
    return response


@router.post("/account/deactivate", dependencies=[Public])
def deactivate(
    request: Request,
    session: SessionDep,
    _csrf: CsrfProtected,
    license_key: FormStr = "",
    instance_id: FormStr = "",
) -> Response:
    """A signed-in buyer frees one activation of their own key."""
    email = _buyer(request)
    if email is None:
        return RedirectResponse("/account", status_code=303)
    try:
        service.deactivate(session, license_key, instance_id, email=email)
    except InputError as error:
        return _purchases(request, session, email, error=error.message)
    return RedirectResponse("/account?done=deactivated", status_code=303)


signed_in_buyer = _buyer  # shared with the buyers' area's subscription actions
purchases_page = _purchases
