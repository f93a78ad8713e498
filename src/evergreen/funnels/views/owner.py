"""/funnels: the funnels with the form to add one, and the editor of one funnel (its colours and
status, steps in order with their variants). Staff read; the owner writes; removals confirmed."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from evergreen.audience import queries as audience
from evergreen.commerce import queries as commerce
from evergreen.digits import is_digits
from evergreen.errors import InputError
from evergreen.funnels import queries, service
from evergreen.funnels.errors import FunnelInputError
from evergreen.funnels.rules import KINDS, TEMPLATES
from evergreen.siteurl import site_url
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DashboardUser, DbId, OwnerUser, SessionDep
from evergreen.web.forms import Confirmation, FormPageDep, ask_first
from evergreen.web.templates import render

__all__ = ["FormStr", "router", "show_funnel", "whole"]

router = APIRouter(prefix="/funnels", include_in_schema=False)
FormStr = Annotated[str, Form(max_length=60_000)]
Done = Annotated[str, Query(max_length=20)]
_DONE = {
    "created": "Funnel added.", "saved": "Funnel saved.", "step": "Step saved.",
    "step-removed": "Step removed.", "moved": "Step moved.", "variant": "Variant saved.",
    "variant-removed": "Variant removed.",
}  # fmt: skip


def whole(field: str, text: str) -> int | None:
    """A form's optional whole number (an id, a weight); blank is None."""
    value = text.strip()
    if not value:
        return None
    if not is_digits(value) or len(value) > 18:
        raise FunnelInputError(field, f"{value[:20]!r} is not a whole number")
    return int(value)


def _list_page(
    request: Request, session: Session, *, error: InputError | None = None, done: str = ""
) -> Response:
    context: dict[str, Any] = {
        "title": "Funnels",
        "funnels": queries.list_funnels(session),
        "error": error,
        "done": _DONE.get(done, ""),
    }
    return render(request, "funnels/list.html", context, status_code=400 if error else 200)


@router.get("")
def funnels_page(
    request: Request, session: SessionDep, user: DashboardUser, done: Done = ""
) -> Response:
    """Every funnel with its status and steps, and the form to add one."""
    return _list_page(request, session, done=done)


@router.post("")
def add_funnel(
    request: Request,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    name: FormStr = "",
    slug: FormStr = "",
) -> Response:
    """Owner only: a new draft funnel, or the form again with what to fix."""
    form.on_error(lambda error: _list_page(request, session, error=error))
    row = service.add_funnel(session, service.FunnelDraft(name, slug))
    return RedirectResponse(f"/funnels/{row.id}?done=created", status_code=303)


def show_funnel(
    request: Request,
    session: Session,
    funnel_id: int,
    *,
    error: InputError | None = None,
    done: str = "",
) -> Response:
    """The editor of one funnel; a refused form's error shown on it."""
    card = queries.funnel_card(session, funnel_id)
    if card is None:
        service.get_funnel(session, funnel_id)  # the 404
        raise AssertionError("unreachable")
    context: dict[str, Any] = {
        "title": card.funnel.name,
        "card": card,
        "kinds": KINDS,
        "templates": TEMPLATES,
        "lists": audience.list_choices(session),
        "products": commerce.product_choices(session),
        "not_on_sale": queries.not_on_sale(session, [step for step, _v in card.steps]),
        "base": site_url(request),
        "error": error,
        "done": _DONE.get(done, ""),
    }
    return render(request, "funnels/funnel.html", context, status_code=400 if error else 200)


@router.get("/{funnel_id:int}")
def funnel_page(
    request: Request, funnel_id: DbId, session: SessionDep, user: DashboardUser, done: Done = ""
) -> Response:
    """One funnel: its settings, steps in order, each step's variants and preview links."""
    return show_funnel(request, session, funnel_id, done=done)


def _back(funnel_id: int, done: str, anchor: str = "") -> Response:
    return RedirectResponse(
        f"/funnels/{funnel_id}?done={done}" + (f"#{anchor}" if anchor else ""), status_code=303
    )


@router.post("/{funnel_id:int}")
def save_funnel(
    request: Request,
    funnel_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    name: FormStr = "",
    slug: FormStr = "",
    status: FormStr = "draft",
    primary_colour: FormStr = "",
    background_colour: FormStr = "",
    text_colour: FormStr = "",
) -> Response:
    """Owner only: rename, recolour or publish the funnel."""
    service.get_funnel(session, funnel_id)
    form.on_error(lambda error: show_funnel(request, session, funnel_id, error=error))
    draft = service.FunnelDraft(name, slug, status, primary_colour, background_colour, text_colour)
    service.update_funnel(session, funnel_id, draft)
    return _back(funnel_id, "saved")


def step_draft(values: dict[str, str]) -> service.StepDraft:
    """A step from a form's text fields."""
    return service.StepDraft(
        kind=values.get("kind", ""),
        title=values.get("title", ""),
        slug=values.get("slug", ""),
        template=values.get("template", "") or "classic",
        list_id=whole("list_id", values.get("list_id", "")),
        form_slug=values.get("form_slug", "").strip() or None,
        webinar_slug=values.get("webinar_slug", "").strip() or None,
        product_id=whole("product_id", values.get("product_id", "")),
        bump_product_id=whole("bump_product_id", values.get("bump_product_id", "")),
        yes_step_id=whole("yes_step_id", values.get("yes_step_id", "")),
        no_step_id=whole("no_step_id", values.get("no_step_id", "")),
    )


async def _fields(request: Request) -> dict[str, str]:
    posted = await request.form()
    return {k: v[:1000] for k, v in posted.items() if isinstance(v, str)}


Fields = Annotated[dict[str, str], Depends(_fields)]


@router.post("/{funnel_id:int}/steps")
def add_step(
    request: Request,
    funnel_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    fields: Fields,
) -> Response:
    """Owner only: a step at the end, with its variant A."""
    service.get_funnel(session, funnel_id)
    form.on_error(lambda error: show_funnel(request, session, funnel_id, error=error))
    row = service.add_step(session, funnel_id, step_draft(fields))
    return _back(funnel_id, "step", f"step-{row.id}")


@router.post("/{funnel_id:int}/steps/{step_id:int}")
def save_step(
    request: Request,
    funnel_id: DbId,
    step_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    fields: Fields,
) -> Response:
    """Owner only: change a step."""
    service.get_step(session, funnel_id, step_id)
    form.on_error(lambda error: show_funnel(request, session, funnel_id, error=error))
    service.update_step(session, funnel_id, step_id, step_draft(fields))
    return _back(funnel_id, "step", f"step-{step_id}")


@router.post("/{funnel_id:int}/steps/{step_id:int}/move")
def move_step(
    funnel_id: DbId,
    step_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    direction: FormStr = "",
) -> Response:
    """Owner only: move a step up or down."""
    service.move_step(session, funnel_id, step_id, direction)
    return _back(funnel_id, "moved", f"step-{step_id}")


@router.post("/{funnel_id:int}/steps/{step_id:int}/remove")
def remove_step(
    request: Request,
    funnel_id: DbId,
    step_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    confirm: FormStr = "",
) -> Response:
    """Owner only: remove a step once confirmed."""
    row = service.get_step(session, funnel_id, step_id)
    step = Confirmation(
        title=f"Remove the step {row.title}?",
        consequence="Its variants and their visitor counts are deleted; this cannot be undone.",
        button="Remove step",
        cancel=f"/funnels/{funnel_id}",
    )
    if (asked := ask_first(request, confirm, step)) is not None:
        return asked
    service.remove_step(session, funnel_id, step_id)
    return _back(funnel_id, "step-removed", "steps")
