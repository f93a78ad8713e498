"""The public funnel page /p/<funnel>/<step>: the visitor's sticky variant in one of the clean
templates, the step's call to action, and the signed visitor cookie that counts them once.

After a paid front-end order the buyer carries its signed link (?order=<token>) from step to
step; an upsell or downsell page then offers the product in one click (a CSRF-checked POST
that commerce charges to the saved card), and without a valid link its button is the product's
normal checkout."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, BackgroundTasks, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from evergreen.commerce import queries as commerce
from evergreen.commerce import service as checkout
from evergreen.db import utcnow
from evergreen.errors import NotFound
from evergreen.funnels import queries, service
from evergreen.funnels.models import FunnelStep
from evergreen.funnels.rules import OFF_SALE, cookie_name, markdown_html, on_sale, targets_of
from evergreen.mail.transactional import deliver_async
from evergreen.siteurl import site_url
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import OptionalUser, SessionDep, SettingsDep, writes
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
Slug = Annotated[str, Path(max_length=1000)]  # any longer than 60 is simply not found
Field = Annotated[str, Form(max_length=200)]
_YEAR = 365 * 24 * 3600


def _step_url(
    base: str, funnel_slug: str, steps: tuple[FunnelStep, ...], step_id: int | None
) -> str:
    """The absolute address of a step of this funnel, or "" at the end."""
    step = next((s for s in steps if s.id == step_id), None)
    return "" if step is None else f"{base}/p/{funnel_slug}/{step.slug}"


def _with_order(url: str, token: str) -> str:
    """A step's address carrying the buyer's signed order link (when there is one)."""
    return f"{url}?{urlencode({'order': token})}" if url and token else url


def _action(
    session: Session, request: Request, view: service.PageView, token: str = ""
) -> dict[str, Any]:
    """The step's call to action: where its button (and an upsell's "no") leads."""
    base, step, funnel = site_url(request), view.step, view.funnel
    yes, no = targets_of(
        next(p for p in service.plans_of(view.steps) if p.id == step.id),
        service.plans_of(view.steps),
    )
    yes_url = _with_order(_step_url(base, funnel.slug, view.steps, yes), token)
    no_url = _with_order(_step_url(base, funnel.slug, view.steps, no), token)
    if step.kind in ("upsell", "downsell"):
        return _offer_action(session, request, view, token, no_url)
    if step.kind == "optin":
        if not step.form_slug:
            return {"href": "", "no": "", "missing": "This step has no sign-up form yet."}
        return {"href": f"{base}/f/{step.form_slug}", "no": "", "missing": ""}
    if step.kind == "webinar":
        return {"href": f"{base}/w/{step.webinar_slug}", "no": "", "missing": ""}
    if step.kind == "order":
        href = _checkout_url(session, request, funnel.id, step, view.variant.name)
        return {"href": href, "no": "", "missing": "" if href else OFF_SALE}
    return {"href": yes_url, "no": no_url if step.kind in ("upsell", "downsell") else "",
            "missing": ""}  # fmt: skip


def _offer_action(
    session: Session, request: Request, view: service.PageView, token: str, no_url: str
) -> dict[str, Any]:
    """An upsell's or downsell's buttons: one click on a paid order's saved card, else the
    product's normal checkout; "no" leads on with the order's link."""
    wanted = _upsell_step(view.funnel.id, view.step, view.variant.name)
    offer = _offer(session, request, wanted, token)
    if offer is not None and offer.one_click:
        label = f"Yes, add {offer.product_name} for {offer.price}"
        return {"href": "", "no": no_url, "missing": "", "one_click": label, "order": token}
    href = _checkout_url(session, request, view.funnel.id, view.step, view.variant.name)
    missing = "" if href else OFF_SALE
    return {"href": href, "no": no_url, "missing": missing}


def _upsell_step(funnel_id: int, step: FunnelStep, variant: str) -> checkout.UpsellStep:
    return checkout.UpsellStep(funnel_id, step.id, step.kind, step.product_id, variant)


def _offer(
    session: Session, request: Request, step: checkout.UpsellStep, token: str
) -> checkout.UpsellOffer | None:
    if not token:
        return None
    provider = checkout.provider_for(request.app.state.settings)
    secret: str = request.app.state.secret
    return checkout.upsell_offer(session, provider, secret, token, step, utcnow())


def _checkout_url(
    session: Session, request: Request, funnel_id: int, step: FunnelStep, variant: str
) -> str:
    """The product's own checkout page, the funnel step kept for its report ("" when it is
    gone or not on sale now: /buy answers 404 for a draft, paused or subscription product)."""
    card = commerce.product_card(session, step.product_id or 0)
    if card is None or not on_sale(card.product.status, card.product.kind):
        return ""
    query = urlencode({"funnel": funnel_id, "step": step.id, "variant": variant})
    return f"{site_url(request)}/buy/{card.product.slug}?{query}"


def _valid_token(session: Session, request: Request, token: str) -> str:
    """The buyer's order link when it is one this site signed, else ""."""
    if not token:
        return ""
    try:
        checkout.order_by_token(session, request.app.state.secret, token)
    except NotFound:
        return ""
    return token


@router.get("/p/{funnel_slug}/{step_slug}")
@writes
def funnel_page(
    request: Request,
    session: SessionDep,
    user: OptionalUser,
    funnel_slug: Slug,
    step_slug: Slug,
    variant: Annotated[str | None, Query(max_length=20)] = None,
    order: Annotated[str, Query(max_length=120)] = "",
    declined: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    """A funnel step's page; a draft funnel is the owner's preview alone (404 to anyone else).
    The owner's and staff's own visits are not counted; `?variant=` previews one (owner)."""
    owner = user is not None and user.role == "owner"
    staff = user is not None and user.role in ("owner", "staff")
    secret: str = request.app.state.secret
    token = _valid_token(session, request, order)
    view = service.view_step(
        session,
        secret,
        funnel_slug,
        step_slug,
        request.cookies,
        day=utcnow().date(),
        owner=owner,
        count=not staff,
        variant_name=variant if owner else None,
    )
    context = {
        "title": view.variant.headline or view.step.title,
        "funnel": view.funnel,
        "step": view.step,
        "variant": view.variant,
        "body": Markup(markdown_html(view.variant.content)),  # noqa: S704 - escaped by markdown-it
        "action": _action(session, request, view, token),
        "order_url": f"{site_url(request)}/buy/order/{token}" if token else "",
        "declined": bool(declined),
        "preview": view.funnel.status != "live" or staff,
    }
    response = render(request, "funnels/page.html", context)
    response.headers["Cache-Control"] = "no-store"
    response.set_cookie(
        cookie_name(view.funnel.id),
        view.cookie,
        max_age=_YEAR,
        path="/p/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/p/{funnel_slug}/{step_slug}")
def take_offer(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    background: BackgroundTasks,
    user: OptionalUser,
    funnel_slug: Slug,
    step_slug: Slug,
    _csrf: CsrfProtected,
    order: Field = "",
    variant: Field = "",
) -> Response:
    """One click on an upsell or downsell: commerce charges the order's saved card once, then
    the buyer goes on ("yes"), confirms with their bank, or sees the "no" path after a decline.
    Without a chargeable order the product's normal checkout opens instead."""
    owner = user is not None and user.role == "owner"
    funnel, steps, step = service.public_step(session, funnel_slug, step_slug, owner=owner)
    if step.kind not in ("upsell", "downsell"):
        raise NotFound("slug", "there is nothing to buy on this page")
    name = variant if variant in queries.variant_names(session, step.id) else ""
    wanted = _upsell_step(funnel.id, step, name)
    offer = _offer(session, request, wanted, order)
    if offer is None or not offer.one_click:
        href = _checkout_url(session, request, funnel.id, step, name or "A")
        return RedirectResponse(href or f"/p/{funnel.slug}/{step.slug}", status_code=303)
    provider = checkout.provider_for(settings)
    secret: str = request.app.state.secret
    taken = checkout.take_upsell(session, provider, secret, order, wanted, utcnow())
    if taken.newly_paid:
        message = checkout.receipt_mail(session, taken.order.number, secret, site_url(request))
        background.add_task(deliver_async, settings, message, "order receipt")
    plans = service.plans_of(steps)
    yes, no = targets_of(next(p for p in plans if p.id == step.id), plans)
    child = f"/buy/order/{checkout.order_link(secret, taken.order.number)}"
    if taken.outcome is checkout.OffSession.REQUIRES_ACTION:
        return RedirectResponse(child, status_code=303)
    target = yes if taken.outcome is checkout.OffSession.SUCCEEDED else no
    found = next((s for s in steps if s.id == target), None)
    if found is None:
        return RedirectResponse(child, status_code=303)
    failed = taken.outcome is checkout.OffSession.FAILED
    query = {"order": order, **({"declined": "1"} if failed else {})}
    return RedirectResponse(f"/p/{funnel.slug}/{found.slug}?{urlencode(query)}", status_code=303)
