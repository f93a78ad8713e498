"""The public funnel page /p/<funnel>/<step>: the visitor's sticky variant in one of the clean
templates, the step's call to action, and the signed visitor cookie that counts them once."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from evergreen.commerce import queries as commerce
from evergreen.db import utcnow
from evergreen.funnels import service
from evergreen.funnels.models import FunnelStep
from evergreen.funnels.rules import cookie_name, markdown_html, targets_of
from evergreen.siteurl import site_url
from evergreen.web.deps import OptionalUser, SessionDep, writes
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
Slug = Annotated[str, Path(max_length=1000)]  # any longer than 60 is simply not found
_YEAR = 365 * 24 * 3600


def _step_url(
    base: str, funnel_slug: str, steps: tuple[FunnelStep, ...], step_id: int | None
) -> str:
    """The absolute address of a step of this funnel, or "" at the end."""
    step = next((s for s in steps if s.id == step_id), None)
    return "" if step is None else f"{base}/p/{funnel_slug}/{step.slug}"


def _action(session: Session, request: Request, view: service.PageView) -> dict[str, Any]:
    """The step's call to action: where its button (and an upsell's "no") leads."""
    base, step, funnel = site_url(request), view.step, view.funnel
    yes, no = targets_of(
        next(p for p in service.plans_of(view.steps) if p.id == step.id),
        service.plans_of(view.steps),
    )
    yes_url = _step_url(base, funnel.slug, view.steps, yes)
    no_url = _step_url(base, funnel.slug, view.steps, no)
    if step.kind == "optin":
        if not step.form_slug:
            return {"href": "", "no": "", "missing": "This step has no sign-up form yet."}
        return {"href": f"{base}/f/{step.form_slug}", "no": "", "missing": ""}
    if step.kind == "webinar":
        return {"href": f"{base}/w/{step.webinar_slug}", "no": "", "missing": ""}
    if step.kind == "order":
        card = commerce.product_card(session, step.product_id or 0)
        if card is None:
            return {"href": "", "no": "", "missing": "This step's product is no longer on sale."}
        query = urlencode({"funnel": funnel.id, "step": step.id, "variant": view.variant.name})
        return {"href": f"{base}/buy/{card.product.slug}?{query}", "no": "", "missing": ""}
    return {"href": yes_url, "no": no_url if step.kind in ("upsell", "downsell") else "",
            "missing": ""}  # fmt: skip


@router.get("/p/{funnel_slug}/{step_slug}")
@writes
def funnel_page(
    request: Request,
    session: SessionDep,
    user: OptionalUser,
    funnel_slug: Slug,
    step_slug: Slug,
    variant: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """A funnel step's page; a draft funnel is the owner's preview alone (404 to anyone else).
    The owner's and staff's own visits are not counted; `?variant=` previews one (owner)."""
    owner = user is not None and user.role == "owner"
    staff = user is not None and user.role in ("owner", "staff")
    secret: str = request.app.state.secret
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
        "action": _action(session, request, view),
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
