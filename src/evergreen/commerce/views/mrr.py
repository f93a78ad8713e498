"""/commerce/mrr: monthly recurring revenue per currency over the last twelve months with its
movements, cohort retention by start month, and the persistence ω each recurring stream's
retention implies (offered to the ledger's valuation on the stream's page; never set here).
The figures come from the kept snapshot, recomputed when a fact was added or the day changed."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from evergreen.commerce import service
from evergreen.db import utcnow
from evergreen.web.deps import DashboardUser, SessionDep, writes
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/commerce/mrr")
@writes
def mrr_page(request: Request, session: SessionDep, user: DashboardUser) -> Response:
    """MRR by month, movements, cohorts and ω per stream, one section per currency."""
    snapshot = service.subscriptions.mrr_page(session, utcnow())
    context: dict[str, Any] = {
        "title": "Recurring revenue",
        "views": snapshot.report["views"],
        "streams": snapshot.report["streams"],
        "built_at": snapshot.built_at,
        "movements": service.subscriptions.MOVEMENTS,
    }
    return render(request, "commerce/mrr.html", context)
