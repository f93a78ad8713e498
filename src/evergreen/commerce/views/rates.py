"""/commerce/suppliers/rates: the owner's exchange rates (a small table on the suppliers page)
that convert a supplier's shipping into the checkout's currency; set, or removed after a
confirmation. Staff read them on the suppliers page; the owner writes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from evergreen.commerce import service
from evergreen.commerce.models import ExchangeRate
from evergreen.commerce.views.products import FormStr
from evergreen.commerce.views.suppliers import show_suppliers
from evergreen.errors import NotFound
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DbId, OwnerUser, SessionDep
from evergreen.web.forms import Confirmation, FormPageDep, ask_first

__all__ = ["router"]

router = APIRouter(prefix="/commerce/suppliers/rates", include_in_schema=False)


@router.post("")
def set_rate(
    request: Request,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    base: FormStr = "",
    quote: FormStr = "",
    rate: FormStr = "",
) -> Response:
    """Owner only: what one unit of a supplier's currency costs in a checkout's currency."""
    typed = {"base": base, "quote": quote, "rate": rate}
    form.on_error(lambda error: show_suppliers(request, session, rate_form=typed, rate_error=error))
    service.set_rate(session, base, quote, rate)
    return RedirectResponse("/commerce/suppliers?done=rate#rates", status_code=303)


@router.post("/{rate_id:int}/remove")
def remove_rate(
    request: Request,
    rate_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    confirm: FormStr = "",
) -> Response:
    """Owner only: remove a rate once confirmed."""
    form.on_error(lambda error: show_suppliers(request, session, rate_error=error))
    row = session.get(ExchangeRate, rate_id)
    if row is None:
        raise NotFound("rate", "no such exchange rate")
    step = Confirmation(
        title=f"Remove the {row.base} to {row.quote} rate?",
        consequence=f"Products whose supplier prices in {row.base} can no longer be bought in "
        f"{row.quote} until a rate is set again.",
        button="Remove rate",
        cancel="/commerce/suppliers#rates",
    )
    if (asked := ask_first(request, confirm, step)) is not None:
        return asked
    service.remove_rate(session, rate_id)
    return RedirectResponse("/commerce/suppliers?done=rate-removed#rates", status_code=303)
