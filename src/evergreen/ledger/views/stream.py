"""A stream's page: residual income for a period with the entries behind every figure, its
history, and what it is worth; and the list of entries behind one figure."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from evergreen.db import utcnow
from evergreen.errors import InputError
from evergreen.ledger import queries, service
from evergreen.ledger.errors import LedgerInputError
from evergreen.ledger.models import Stream
from evergreen.ledger.rules import Figure, counted
from evergreen.ledger.rules.forecast import Continuing
from evergreen.ledger.rules.value import MAX_FORECAST_YEARS
from evergreen.ledger.views.forms import hours, money
from evergreen.ledger.views.page_query import PageQuery
from evergreen.ledger.views.sections import figures_section, page_sections
from evergreen.money import show_amount
from evergreen.web.deps import DashboardUser, DbId, SessionDep
from evergreen.web.templates import render

__all__ = ["BY_HAND", "StreamDep", "render_stream_page", "router"]

router = APIRouter(prefix="/ledger/streams", include_in_schema=False)
# Only entries made by hand are reversed from a page: automatic ones (networks, partners) are
# kept in step with their source by the poster that made them, which reverses them itself.
BY_HAND = "manual"
LISTED = 1000  # entries listed behind one figure; a longer list says to narrow the period
_DONE = {
    "income": "Income added.",
    "cost": "Cost added.",
    "capital": "Capital entry added.",
    "asset": "Asset entry added: its balance counts as capital employed.",
    "hours": "Hours added.",
    "rates": "This stream's rates saved.",
    "reversed": "Transaction reversed: a new entry negates each of its postings.",
    "forecast": "Forecast saved: the stream is valued with it.",
    "forecast_removed": "Forecast removed: the stream is valued on its last 12 months again.",
}
_ENTRY_DONE = {"hours_changed": "Time entry corrected.", "hours_deleted": "Time entry deleted."}
_FIGURES = {"income": "Income", "costs": "Costs", "capital": "Capital moved", "hours": "Hours"}


def _stream(session: SessionDep, stream_id: DbId) -> Stream:
    return service.get_stream(session, stream_id)


StreamDep = Annotated[Stream, Depends(_stream)]


def _amount(value: Decimal) -> str:
    """A stored amount: two decimals, or up to four when it has fractions of a cent."""
    exponent = value.normalize().as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) else 2
    return f"{value:,.{places}f}"


def _rate(value: Decimal) -> str:
    return f"{value.normalize():f}"


_YEAR_FIELD = re.compile(r"years\[(\d+)\]")
_YEAR_BOXES = 5  # boxes the forecast form shows at least: two more than a stored one has


def _forecast_form(
    stored: service.StoredForecast | None, typed: Mapping[str, str] | None
) -> dict[str, Any]:
    """The forecast form's values: what was typed (a refusal), else the stored forecast, with
    blank boxes for more years (one box a year, at most MAX_FORECAST_YEARS)."""
    if typed is not None:
        years = [typed.get(f"years[{i}]", "") for i in range(MAX_FORECAST_YEARS)]
        while years and not years[-1].strip():
            years.pop()
        continuing, persistence = typed.get("continuing", ""), typed.get("persistence", "")
    elif stored is not None:
        years = [show_amount(amount) for amount in stored.plan.years]
        continuing = stored.plan.continuing.value
        omega = stored.plan.persistence
        persistence = "" if omega is None else _rate(omega)
    else:
        years, continuing, persistence = [], Continuing.PERSISTENCE.value, ""
    count = min(MAX_FORECAST_YEARS, max(_YEAR_BOXES, len(years) + 2))
    years += [""] * (count - len(years))
    return {
        "years": [(f"years[{i}]", f"Year {i + 1}", text) for i, text in enumerate(years)],
        "continuing": continuing,
        "persistence": persistence,
        "choices": list(Continuing),
    }


def _field_name(field: str) -> str:
    """A refused field as the page labels it: years[2] is Year 3's box."""
    found = _YEAR_FIELD.fullmatch(field)
    return f"year {int(found.group(1)) + 1}" if found else field.replace("_", " ")


def render_stream_page(
    request: Request,
    session: Session,
    stream: Stream,
    query: PageQuery,
    *,
    status_code: int = 200,
    errors: Mapping[str, InputError] | None = None,
    forms: Mapping[str, Mapping[str, str]] | None = None,
    done: str = "",
) -> Response:
    """The stream's page; a form's refusal comes back in `errors` with what was typed."""
    today = utcnow().date()
    sections, refused = page_sections(session, stream, query, today)
    shown = {**refused, **(errors or {})}
    context: dict[str, Any] = {
        "title": stream.name,
        "stream": stream,
        "query": query,
        "back": query.encoded(),
        "today": today.isoformat(),
        "errors": shown,
        "forms": forms or {},
        "done": _DONE.get(done, ""),
        "money": money,
        "hours_text": hours,
        "rate": _rate,
        "field_name": _field_name,
        **sections,
    }
    context["forecast_form"] = _forecast_form(
        sections["stored_forecast"], (forms or {}).get("forecast")
    )
    status = status_code if status_code != 200 or not refused else 400
    return render(request, "ledger/stream.html", context, status_code=status)


@router.get("/{stream_id:int}")
def stream_page(
    request: Request, user: DashboardUser, stream: StreamDep, session: SessionDep, done: str = ""
) -> Response:
    """One stream: figures for a period, month-by-month history, value, and the entry forms."""
    query = PageQuery.of(request.query_params)
    return render_stream_page(request, session, stream, query, done=done)


def _figure(text: str) -> Figure | None:
    """A journal figure, or None for hours; anything else names the choices."""
    if text == "hours":
        return None
    try:
        return Figure(text)
    except ValueError:
        raise LedgerInputError(
            "figure", f"{text[:40]!r} is not a figure; use income, costs, capital or hours"
        ) from None


@router.get("/{stream_id:int}/entries")
def figure_entries(
    request: Request,
    user: DashboardUser,
    stream: StreamDep,
    session: SessionDep,
    figure: str = "income",
    done: str = "",
) -> Response:
    """The entries behind one figure of a period, listed with the sum that makes the figure."""
    query = PageQuery.of(request.query_params)
    wanted = _figure(figure)
    sections, errors = figures_section(session, stream, query, utcnow().date())
    period = sections["period"]
    context: dict[str, Any] = {
        "title": f"{stream.name}: {_FIGURES[figure]}",
        "stream": stream,
        "query": query,
        "back": query.encoded(),
        "figure": figure,
        "figure_name": _FIGURES[figure],
        "done": _ENTRY_DONE.get(done, ""),
        "period": period,
        "figures": sections["figures"],
        "capital": sections["capital"],
        "charged": sections["charged"],
        "errors": errors,
        "money": money,
        "amount": _amount,
        "by_hand": BY_HAND,
        "hours_text": hours,
        "rate": _rate,
    }
    if wanted is None:
        spent = queries.hours_behind(session, stream, period.start, period.end, LISTED + 1)
        context["hours"] = spent[:LISTED]
        context["listed_sum"] = sum((line.hours for line in spent[:LISTED]), Decimal(0))
        context["truncated"] = len(spent) > LISTED
    else:
        found = queries.entries_behind(session, stream, period.start, period.end, wanted,
                                       LISTED + 1)  # fmt: skip
        # Each posting as the figure counts it (income and money put in turned, assets as posted).
        lines_in = [(line, counted(line.account, line.amount)) for line in found[:LISTED]]
        context["lines"] = lines_in
        context["listed_sum"] = sum((counted for _line, counted in lines_in), Decimal(0))
        context["links"] = queries.reversal_links(session, [ln.transaction_id for ln in found])
        context["truncated"] = len(found) > LISTED
    status = 400 if errors else 200
    return render(request, "ledger/stream_entries.html", context, status_code=status)
