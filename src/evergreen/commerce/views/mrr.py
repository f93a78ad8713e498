"""/commerce/mrr: monthly recurring revenue per currency over the last twelve months with its
movements, cohort retention by start month, and the persistence ω each recurring stream's
retention implies (offered to the ledger's valuation on the stream's page; never set here)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from evergreen.commerce import service
from evergreen.commerce.rules.billing import add_months
from evergreen.db import utcnow
from evergreen.web.deps import DashboardUser, SessionDep
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/commerce/mrr")
def mrr_page(request: Request, session: SessionDep, user: DashboardUser) -> Response:
    """MRR by month, movements, cohorts and ω per stream, one section per currency."""
    today = utcnow()
    last = today.date()
    first = add_months(today.replace(day=1), -11).date()
    facts = service.subscriptions.mrr_facts(session)
    context: dict[str, Any] = {
        "title": "Recurring revenue",
        "views": service.subscriptions.mrr_report_of(session, first, last, facts),
        "streams": service.subscriptions.stream_persistence(facts, last),
        "first": first,
    }
    return render(request, "commerce/mrr.html", context)
