"""/funnels/<id>/… variants: add, change (weight, headline, Markdown, button) and remove one
(confirmed) of a step's A/B variants. The owner writes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from evergreen.funnels import service
from evergreen.funnels.errors import FunnelInputError
from evergreen.funnels.views.owner import FormStr, show_funnel, whole
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DbId, OwnerUser, SessionDep
from evergreen.web.forms import Confirmation, FormPageDep, ask_first

__all__ = ["router"]

router = APIRouter(prefix="/funnels", include_in_schema=False)


def _draft(
    name: str, weight: str, headline: str, content: str, button: str
) -> service.VariantDraft:
    number = whole("weight", weight)
    if number is None:
        raise FunnelInputError("weight", "is required (0 hides the variant)")
    return service.VariantDraft(name, number, headline, content, button)


def _back(funnel_id: int, step_id: int) -> Response:
    return RedirectResponse(f"/funnels/{funnel_id}?done=variant#step-{step_id}", status_code=303)


@router.post("/{funnel_id:int}/steps/{step_id:int}/variants")
def add_variant(
    request: Request,
    funnel_id: DbId,
    step_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    name: FormStr = "",
    weight: FormStr = "1",
    headline: FormStr = "",
    content: FormStr = "",
    button: FormStr = "",
) -> Response:
    """Owner only: another variant of a step (B, C, …)."""
    service.get_step(session, funnel_id, step_id)
    form.on_error(lambda error: show_funnel(request, session, funnel_id, error=error))
    service.add_variant(
        session, funnel_id, step_id, _draft(name, weight, headline, content, button)
    )
    return _back(funnel_id, step_id)


@router.post("/{funnel_id:int}/variants/{variant_id:int}")
def save_variant(
    request: Request,
    funnel_id: DbId,
    variant_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    name: FormStr = "",
    weight: FormStr = "1",
    headline: FormStr = "",
    content: FormStr = "",
    button: FormStr = "",
) -> Response:
    """Owner only: change a variant's weight, words or content."""
    row = service.get_variant(session, funnel_id, variant_id)
    form.on_error(lambda error: show_funnel(request, session, funnel_id, error=error))
    draft = _draft(name, weight, headline, content, button)
    service.update_variant(session, funnel_id, variant_id, draft)
    return _back(funnel_id, row.step_id)


@router.post("/{funnel_id:int}/variants/{variant_id:int}/remove")
def remove_variant(
    request: Request,
    funnel_id: DbId,
    variant_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    confirm: FormStr = "",
) -> Response:
    """Owner only: remove a variant once confirmed (a step keeps one)."""
    row = service.get_variant(session, funnel_id, variant_id)
    step = Confirmation(
        title=f"Remove variant {row.name}?",
        consequence="Its content and visitor counts are deleted; this cannot be undone.",
        button="Remove variant",
        cancel=f"/funnels/{funnel_id}#step-{row.step_id}",
    )
    if (asked := ask_first(request, confirm, step)) is not None:
        return asked
    form.on_error(lambda error: show_funnel(request, session, funnel_id, error=error))
    service.remove_variant(session, funnel_id, variant_id)
    return _back(funnel_id, row.step_id)
