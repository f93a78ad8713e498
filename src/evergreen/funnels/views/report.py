"""/funnels/<id>/report: per step and variant visitors, conversions, rate and revenue; ad spend
entered by day or imported from a CSV (every bad row previewed, nothing stored); and the
self-liquidating measures per cohort day and in total. Staff read; the owner writes."""

from __future__ import annotations

import io
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from evergreen.csvfile import decode_utf8
from evergreen.db import utcnow
from evergreen.errors import InputError
from evergreen.funnels import queries, service
from evergreen.funnels.errors import FunnelInputError
from evergreen.funnels.rules import SpendError, check_spend, read_spend_csv
from evergreen.funnels.rules.period import report_period
from evergreen.funnels.views.owner import FormStr
from evergreen.money import show_money
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DashboardUser, DbId, OwnerUser, SessionDep
from evergreen.web.forms import FormPageDep
from evergreen.web.templates import render

__all__ = ["period", "router"]

router = APIRouter(prefix="/funnels", include_in_schema=False)
DayText = Annotated[str, Query(max_length=20)]
_DONE = {"spend": "Ad spend saved.", "import": "Ad spend imported."}


def period(start: str, end: str) -> tuple[date, date]:
    """The report's days (the last 30 by default), refused by field when bad."""
    return report_period(start, end, utcnow().date())


def _page(
    request: Request,
    session: Session,
    funnel_id: int,
    start: str = "",
    end: str = "",
    *,
    error: InputError | None = None,
    problems: list[SpendError] | None = None,
    done: str = "",
) -> Response:
    service.get_funnel(session, funnel_id)
    try:
        first, last = period(start, end)
    except InputError as refused:
        error, (first, last) = refused, period("", "")
    found = queries.report(session, funnel_id, first, last)
    assert found is not None
    context: dict[str, Any] = {
        "title": f"{found.card.funnel.name}: report",
        "report": found,
        "money": show_money,
        "error": error,
        "problems": problems or [],
        "done": _DONE.get(done, ""),
        "today": utcnow().date().isoformat(),
    }
    status = 400 if error or problems else 200
    return render(request, "funnels/report.html", context, status_code=status)


@router.get("/{funnel_id:int}/report")
def report_page(
    request: Request,
    funnel_id: DbId,
    session: SessionDep,
    user: DashboardUser,
    start: DayText = "",
    end: DayText = "",
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """The funnel's report over a range of days (the last 30 by default)."""
    return _page(request, session, funnel_id, start, end, done=done)


@router.post("/{funnel_id:int}/spend")
def add_spend(
    request: Request,
    funnel_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    day: FormStr = "",
    campaign: FormStr = "",
    source: FormStr = "",
    amount: FormStr = "",
    currency: FormStr = "",
) -> Response:
    """Owner only: one day's spend on a campaign and source (replacing what was entered)."""
    service.get_funnel(session, funnel_id)
    form.on_error(lambda error: _page(request, session, funnel_id, error=error))
    service.put_spend(session, funnel_id, [check_spend(day, campaign, source, amount, currency)])
    return RedirectResponse(f"/funnels/{funnel_id}/report?done=spend", status_code=303)


@router.post("/{funnel_id:int}/spend/import")
def import_spend(
    request: Request,
    funnel_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Owner only: a CSV of spend; any bad row is listed and nothing is stored."""
    service.get_funnel(session, funnel_id)
    form.on_error(lambda error: _page(request, session, funnel_id, error=error))
    if file is None or not file.filename:
        raise FunnelInputError("file", "choose a CSV file: day,campaign,source,amount,currency")
    name = file.filename

    def not_utf8(message: str) -> Exception:
        return FunnelInputError("file", f"{name} {message}")

    # UTF-8 or refused by name and line, as the command refuses it: never a "Caf�" stored.
    text = decode_utf8(file.file.read(), not_utf8)
    reading = read_spend_csv(io.StringIO(text, newline=""))
    if reading.errors:
        return _page(request, session, funnel_id, problems=reading.errors)
    service.import_spend(session, funnel_id, reading)
    return RedirectResponse(f"/funnels/{funnel_id}/report?done=import", status_code=303)
