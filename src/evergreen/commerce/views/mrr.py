"""/commerce/mrr: monthly recurring revenue per currency over the last twelve months with its
movements, cohort retention by start month, and the persistence ω each recurring stream's
retention implies (offered to the ledger's valuation on the stream's page; never set here).
The figures come from the kept snapshot, recomputed when a fact was added or the day changed."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from evergreen.commerce import service
from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.views.products import Done, FormStr
from evergreen.db import utcnow
from evergreen.digits import row_id
from evergreen.errors import InputError
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DashboardUser, OwnerUser, SessionDep, writes
from evergreen.web.forms import Confirmation, FormPageDep, ask_first
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _show(
    request: Request, session: Session, *, error: InputError | None = None, done: str = ""
) -> Response:
    snapshot = service.subscriptions.mrr_page(session, utcnow())
    context: dict[str, Any] = {
        "title": "Recurring revenue",
        "views": snapshot.report["views"],
        "streams": snapshot.report["streams"],
        "built_at": snapshot.built_at,
        "movements": service.subscriptions.MOVEMENTS,
        "error": error,
        "done": "The stream's persistence is set." if done == "persistence" else "",
    }
    return render(request, "commerce/mrr.html", context, status_code=400 if error else 200)


@router.get("/commerce/mrr")
@writes
def mrr_page(
    request: Request, session: SessionDep, user: DashboardUser, done: Done = ""
) -> Response:
    """MRR by month, movements, cohorts and ω per stream, one section per currency."""
    return _show(request, session, done=done)


@router.post("/commerce/mrr/persistence")
def use_persistence(
    request: Request,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    product_id: FormStr = "",
    confirm: FormStr = "",
) -> Response:
    """Owner only: the product's ω becomes its ledger stream's persistence (when it has none
    of the owner's), once confirmed."""
    form.on_error(lambda error: _show(request, session, error=error))
    chosen = row_id(product_id)
    if chosen is None:
        raise CommerceInputError("product_id", "choose a product from the list")
    product = service.get_product(session, chosen)
    step = Confirmation(
        title=f"Use the estimated ω for {product.name}'s stream?",
        consequence="The ledger values the stream with it from now on (its residual income "
        "continuing by ω a year); you can change it on the stream's page.",
        button="Use it",
        cancel="/commerce/mrr",
        fields={"product_id": str(product_id)},
    )
    if (asked := ask_first(request, confirm, step)) is not None:
        return asked
    service.subscriptions.use_persistence(session, product.id, utcnow())
    return RedirectResponse("/commerce/mrr?done=persistence", status_code=303)
