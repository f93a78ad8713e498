"""/commerce/tax-rates: the owner's tax rates per country or region, added and removed (after a
confirmation). Staff read; the owner writes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from evergreen.commerce import service
from evergreen.commerce.views.products import Done, FormStr
from evergreen.errors import InputError
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DashboardUser, DbId, OwnerUser, SessionDep
from evergreen.web.forms import Confirmation, FormPageDep, ask_first
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(prefix="/commerce/tax-rates", include_in_schema=False)
_DONE = {"added": "Tax rate added.", "removed": "Tax rate removed."}
_BLANK = {"country": "", "region": "", "percent": "", "inclusive": ""}


def _page(
    request: Request,
    session: Session,
    *,
    form: dict[str, str] | None = None,
    error: InputError | None = None,
    done: str = "",
) -> Response:
    context: dict[str, Any] = {
        "title": "Tax rates",
        "rates": service.list_tax_rates(session),
        "form": form or dict(_BLANK),
        "error": error,
        "done": _DONE.get(done, ""),
    }
    return render(request, "commerce/taxes.html", context, status_code=400 if error else 200)


@router.get("")
def taxes_page(
    request: Request, session: SessionDep, user: DashboardUser, done: Done = ""
) -> Response:
    """Every tax rate and the form to add one."""
    return _page(request, session, done=done)


@router.post("")
def add_rate(
    request: Request,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    country: FormStr = "",
    region: FormStr = "",
    percent: FormStr = "",
    inclusive: FormStr = "",
) -> Response:
    """Owner only: a rate for a country or region, or the form again with what to fix."""
    entered = {"country": country, "region": region, "percent": percent, "inclusive": inclusive}
    form.on_error(lambda error: _page(request, session, form=entered, error=error))
    service.add_tax_rate(session, service.TaxDraft(country, percent, region, bool(inclusive)))
    return RedirectResponse("/commerce/tax-rates?done=added", status_code=303)


@router.post("/{rate_id:int}/remove")
def remove_rate(
    request: Request,
    rate_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    confirm: FormStr = "",
) -> Response:
    """Owner only: remove a rate once confirmed."""
    step = Confirmation(
        title="Remove this tax rate?",
        consequence="Orders in its country or region are no longer taxed at this rate.",
        button="Remove tax rate",
        cancel="/commerce/tax-rates",
    )
    if (asked := ask_first(request, confirm, step)) is not None:
        return asked
    service.remove_tax_rate(session, rate_id)
    return RedirectResponse("/commerce/tax-rates?done=removed", status_code=303)
