"""The public checkout: /buy/<slug> (the product, its bump, the buyer's details and a coupon;
the total the server computed) and the buyer's order page /buy/order/<signed token> (pay with
Stripe.js, the bank-transfer instructions, or the thank-you once paid; it asks the provider, so
a lost webhook still completes the order; a funnel's order then leads on to the funnel's next
step with its link, and an upsell the bank wants confirmed is confirmed here). No sign-in;
forms are CSRF-checked."""

from __future__ import annotations

import secrets
import time
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, BackgroundTasks, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from evergreen.commerce import queries, service
from evergreen.commerce.rules.checkout import order_token, tax_is_added
from evergreen.commerce.rules.period_payment import asks_the_bank
from evergreen.commerce.rules.products import from_cents
from evergreen.commerce.rules.shipping import Address, check_address
from evergreen.commerce.service.shipping import address_of, fulfilment_card
from evergreen.commerce.service.shipping import is_shipped as ships
from evergreen.commerce.views.embed import framable, is_embedded
from evergreen.config import Settings
from evergreen.db import utcnow
from evergreen.digits import row_id
from evergreen.errors import InputError
from evergreen.funnels import queries as funnels
from evergreen.mail.transactional import deliver_async
from evergreen.siteurl import site_url
from evergreen.web.csrf import PublicFormProtected, form_signature
from evergreen.web.deps import Public, SessionDep, SettingsDep, writes
from evergreen.web.forms import FormPageDep
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
Slug = Annotated[str, Path(max_length=80)]
Token = Annotated[str, Path(max_length=120)]
Field = Annotated[str, Form(max_length=300)]
CLICK_COOKIE = "evg_click"  # the links area's attribution cookie (links/clicks/redirect.py)


def _money(cents: int, currency: str) -> str:
    return f"{from_cents(cents)} {currency}"


def _offer(session: Session, slug: str, values: dict[str, str]) -> service.Offer:
    """The product and the bump this form offers: its funnel order step's, else the product's."""
    funnel, step = values.get("funnel", ""), values.get("step", "")
    return service.offer(session, slug, funnel_id=_id(funnel), step_id=_id(step))


def _page(
    request: Request,
    session: Session,
    slug: str,
    values: dict[str, str],
    *,
    cart: Any = None,
    error: InputError | None = None,
) -> Response:
    found = _offer(session, slug, values)
    currencies = sorted(found.prices)
    currency = values.get("currency") or ""
    if currency not in found.prices:
        currency = currencies[0] if currencies else ""
    values = {**values, "currency": currency}
    bump_price = found.bump_prices.get(currency)
    context: dict[str, Any] = {
        "title": found.product.name,
        "product": found.product,
        "bump": found.bump if bump_price is not None else None,
        "bump_price": _money(bump_price, currency) if bump_price is not None else "",
        "bump_headline": found.bump_headline,
        "price": _money(found.prices[currency], currency) if currency else "",
        "currencies": currencies,
        "values": values,
        "cart": cart,
        "money": _money,
        "error": error,
        "manual": service.provider_for(request.app.state.settings) is None,
        # Framed on another site (the buy button), the CSRF cookie is withheld: this stands in.
        "form_signature": form_signature(
            request.app.state.secret, request.url.path, int(time.time())
        ),
        "ships": ships(session, [p for p in (found.product, found.bump) if p is not None]),
        "embed": is_embedded(request),
    }
    page = render(request, "commerce/buy.html", context, status_code=400 if error else 200)
    return framable(request, page)


def _blank(request: Request, currency: str) -> dict[str, str]:
    click = request.query_params.get("click_id") or request.cookies.get(CLICK_COOKIE, "")
    return {"currency": currency.upper()[:3], "email": "", "name": "", "country": "",
            "region": "", "coupon": request.query_params.get("coupon", "")[:40],
            "bump": "", "nonce": secrets.token_urlsafe(18), "click_id": click[:100],
            **dict.fromkeys(_SHIP, ""),
            **_funnel_fields(request.query_params.get("funnel", ""),
                             request.query_params.get("step", ""),
                             request.query_params.get("variant", ""))}  # fmt: skip


def _funnel_fields(funnel: str, step: str, variant: str) -> dict[str, str]:
    """The funnel step a buyer came from (/buy/<slug>?funnel=&step=&variant=), kept through
    the form for the funnel's revenue; anything that is not an id is dropped, never refused."""
    ids = {
        name: str(number) if (number := row_id(value)) else ""
        for name, value in (("funnel", funnel), ("step", step))
    }
    return {**ids, "variant": variant.strip()[:40] if ids["step"] else ""}


_SHIP = ("ship_name", "line1", "line2", "city", "postal_code", "ship_region", "ship_country")


def _ship_fields(*values: str) -> dict[str, str]:
    """The ship-to address as typed (for physical products)."""
    return dict(zip(_SHIP, values, strict=True))


def _address(session: Session, slug: str, values: dict[str, str]) -> Address | None:
    """The checked ship-to address when the offer ships something, else None."""
    found = _offer(session, slug, values)
    shipped = [found.product] + ([found.bump] if found.bump and values.get("bump") else [])
    if not ships(session, shipped):
        return None
    return check_address(
        values["ship_name"], values["line1"], values["city"], values["ship_country"],
        values["line2"], values["postal_code"], values["ship_region"],
    )  # fmt: skip


def _id(value: str) -> int | None:
    return int(value) if value else None


@router.get("/buy/{slug}", dependencies=[Public])
def buy_page(
    request: Request,
    session: SessionDep,
    slug: Slug,
    currency: Annotated[str, Query(max_length=3)] = "",
) -> Response:
    """The product's checkout page, in the currency asked for (else its first price's)."""
    return _page(request, session, slug, _blank(request, currency))


@router.post("/buy/{slug}", dependencies=[Public])
def buy(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    background: BackgroundTasks,
    slug: Slug,
    _csrf: PublicFormProtected,
    form: FormPageDep,
    currency: Field = "",
    email: Field = "",
    name: Field = "",
    country: Field = "",
    region: Field = "",
    coupon: Field = "",
    bump: Field = "",
    nonce: Field = "",
    click_id: Field = "",
    funnel: Field = "",
    step: Field = "",
    variant: Field = "",
    ship_name: Field = "",
    line1: Field = "",
    line2: Field = "",
    city: Field = "",
    postal_code: Field = "",
    ship_region: Field = "",
    ship_country: Field = "",
) -> Response:
    """Price the cart on the server and open the order, then the buyer's order page (pay there);
    a refusal shows the form again with what to fix and the total as it stands."""
    values = {"currency": currency, "email": email, "name": name, "country": country,
              "region": region, "coupon": coupon, "bump": bump, "nonce": nonce,
              "click_id": click_id, **_funnel_fields(funnel, step, variant),
              **_ship_fields(ship_name, line1, line2, city, postal_code, ship_region,
                             ship_country)}  # fmt: skip
    form.on_error(lambda error: _page(request, session, slug, values, error=error))
    address = _address(session, slug, values)
    country = country or (address.country if address else "")
    data = service.CheckoutInput(
        slug=slug, currency=currency, email=email, nonce=nonce, name=name, country=country,
        region=region, bump=bool(bump), coupon=coupon, click_id=click_id,
        funnel_id=_id(values["funnel"]), step_id=_id(values["step"]),
        variant=values["variant"] or None, address=address,
    )  # fmt: skip
    now = utcnow()
    provider = service.provider_for(request.app.state.settings)
    started = service.start_checkout(session, provider, data, now)
    secret = request.app.state.secret
    free = started.order.total_cents == 0 and started.order.status == "pending"  # 100 % off
    if free and service.mark_manual_paid(session, started.order.id, secret, now).newly_paid:
        message = service.receipt_mail(session, started.order.number, secret, site_url(request))
        background.add_task(deliver_async, settings, message, "order receipt")
    token = order_token(secret, started.order.number)
    embedded = "?embed=1" if is_embedded(request) else ""  # the overlay stays chrome-free
    return RedirectResponse(f"/buy/order/{token}{embedded}", status_code=303)


def _confirm(
    request: Request, session: Session, settings: Settings, background: BackgroundTasks, token: str
) -> Any:
    secret = request.app.state.secret
    order = service.order_by_token(session, secret, token)
    done = service.confirm(session, service.provider_for(settings), order.id, secret, utcnow())
    if done.newly_paid:
        message = service.receipt_mail(session, order.number, secret, site_url(request))
        background.add_task(deliver_async, settings, message, "order receipt")
    card = queries.order_card(session, order.id)
    assert card is not None
    return card


def _next_step(session: Session, secret: str, order: Any) -> str:
    """Where a funnel's buyer goes on from their order: the step after the one they bought on
    ("no" after a declined upsell), carrying the front-end order's signed link; "" elsewhere."""
    if order.funnel_id is None or order.step_id is None or order.status == "pending":
        return ""
    accepted = order.status in ("paid", "partially_refunded")
    path = funnels.step_after(session, order.funnel_id, order.step_id, accepted=accepted)
    if path is None or (not accepted and order.parent_order_id is None):
        return ""
    root = service.get_order(session, order.parent_order_id) if order.parent_order_id else order
    return f"{path}?{urlencode({'order': order_token(secret, root.number)})}"


@router.get("/buy/order/{token}", dependencies=[Public])
@writes
def order_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    background: BackgroundTasks,
    token: Token,
) -> Response:
    """The buyer's order: pay (Stripe.js or bank transfer), or the thank-you once paid."""
    card = _confirm(request, session, settings, background, token)
    order = card.order
    secret_key: str = request.app.state.secret
    provider = service.provider_for(settings)
    payment = service.open_payment_of(provider, order)
    secret = payment.client_secret if payment is not None else None
    downloads = []
    address = address_of(session, order.id)
    carried = address.shipping_cents if address is not None else 0
    paid = ("paid", "partially_refunded")
    base = site_url(request)
    for bought in (order, *service.children_of(session, order.id)):
        if bought.status in paid:
            source = service.source_of(bought)
            downloads += service.links_of_source(session, secret_key, base, source, utcnow())
    context = {
        "title": f"Order {order.number}",
        "downloads": downloads,
        "order": order,
        "lines": card.lines,
        "shipping_cents": carried,
        "tax_added": tax_is_added(
            order.subtotal_cents, order.discount_cents, carried, order.total_cents
        ),
        "money": _money,
        "client_secret": secret,
        "publishable_key": settings.stripe_publishable_key,
        "stripe_js": settings.stripe_js_url,
        "here": f"{site_url(request)}/buy/order/{token}",
        "next_url": _next_step(session, secret_key, order),
        "authenticate": payment is not None
        and asks_the_bank(payment.status, upsell=order.parent_order_id is not None),
        "upsell": order.parent_order_id is not None,
        "fulfilment": fulfilment_card(session, order, request.app.state.secret, site_url(request)),
        "embed": is_embedded(request),
    }
    return framable(request, render(request, "commerce/order_status.html", context))
