"""One payout's page (owner): its partners with method, reference and whether their notice was
emailed, its commissions, totals per currency, and the same as CSV."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from evergreen.partners import service
from evergreen.partners.service.payouts import FORMATS
from evergreen.partners.views.deps import ProgramDep
from evergreen.partners.views.partner import page_helpers
from evergreen.web.deps import DbId, OwnerUser, SessionDep
from evergreen.web.downloads import csv_download
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(prefix="/partners", include_in_schema=False)


@router.get("/payouts/{payout_id:int}")
def payout_page(
    request: Request, payout_id: DbId, session: SessionDep, user: OwnerUser, program: ProgramDep
) -> Response:
    """Everything in one payout: who is paid how much, how, and for which commissions."""
    detail = service.payout_detail(session, program, payout_id)
    context: dict[str, Any] = {
        "title": f"Payout #{detail.payout.id}",
        "program": program,
        "detail": detail,
        "formats": FORMATS,
        "notices": service.notices_of(session, payout_id),
        **page_helpers(),
    }
    return render(request, "partners/admin_payout.html", context)


@router.get("/payouts/{payout_id:int}/commissions.csv")
def payout_commissions_csv(
    payout_id: DbId, session: SessionDep, user: OwnerUser, program: ProgramDep
) -> Response:
    """The payout's commissions as CSV, each with its payment reference."""
    detail = service.payout_detail(session, program, payout_id)  # a wrong ID is still a 404
    return csv_download(
        f"payout-{payout_id}-commissions.csv",
        lambda out: service.write_payout_commissions(detail, out),
    )
