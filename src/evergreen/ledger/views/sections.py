"""The sections of a stream's page, read through the ledger's queries: the period's figures and
how each is reached, the month-by-month history with sparklines, and the value with its bridge.

A refused value (a period, a forecast) is kept beside the section it belongs to, so the rest of
the page still shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from evergreen.errors import InputError
from evergreen.ledger import facts, queries, service
from evergreen.ledger.errors import LedgerInputError, SavedRatesConflict
from evergreen.ledger.models import Stream
from evergreen.ledger.rules import Rates, parse_rate
from evergreen.ledger.rules.forecast import forecast_bridge
from evergreen.ledger.rules.periods import Period, PeriodChoice, choose_period, month_end
from evergreen.ledger.rules.residual import Figures
from evergreen.ledger.rules.value import (
    Bridge,
    multistage_bridge,
    parse_forecast,
    parse_signed,
    single_stage_bridge,
    trailing_year,
)
from evergreen.ledger.views.page_query import PageQuery
from evergreen.web.charts import Sparkline, Waterfall, sparkline, waterfall

__all__ = ["ClickFigures", "StreamRates", "figures_section", "page_sections", "stream_rates"]

_ZERO, _ONE = Decimal(0), Decimal(1)
_HISTORY = (
    ("income", "Income"),
    ("costs", "Costs"),
    ("hours", "Hours"),
    ("owner_time_charge", "Time charge"),
    ("capital_charge", "Capital charge"),
    ("residual_income", "Residual income"),
)


@dataclass(frozen=True)
class StreamRates:
    """The rates a stream is charged at, where each comes from, and which are not set."""

    rates: Rates
    hourly_rate_own: bool
    required_return_own: bool
    missing: tuple[str, ...]


def stream_rates(session: Session, stream: Stream) -> StreamRates:
    """The stream's own rates where it has them, the owner's saved defaults elsewhere."""
    saved = service.preferences(session)
    hour = stream.hourly_rate if stream.hourly_rate is not None else saved.hourly_rate
    ret = stream.required_return if stream.required_return is not None else saved.required_return
    missing = tuple(
        name for name, value in (("hourly rate", hour), ("required return", ret)) if value is None
    )
    return StreamRates(
        Rates(hour if hour is not None else _ZERO, ret if ret is not None else _ZERO),
        stream.hourly_rate is not None,
        stream.required_return is not None,
        missing,
    )


@dataclass(frozen=True)
class ClickFigures:
    """A period's clicks on the stream's links and its income per human click (EPC)."""

    total: int
    human: int
    income: Decimal

    @property
    def per_click(self) -> Decimal | None:
        """Income per human click; None without clicks (nothing meaningful to divide by)."""
        return self.income / self.human if self.human else None

    @property
    def per_thousand(self) -> Decimal | None:
        """Income per 1,000 human clicks, the figure that reads well when a click earns cents."""
        return self.income * 1000 / self.human if self.human else None


def _clicks(
    session: Session, stream: Stream, start: date, end: date, income: Decimal
) -> ClickFigures | None:
    """The period's clicks (None when no link counts for the stream: nothing to show)."""
    if not facts.stream_link_ids(session, stream.id):
        return None
    days = facts.stream_clicks(session, stream.id, start, end, by="month")
    return ClickFigures(sum(d.total for d in days), sum(d.human for d in days), income)


def _period(query: PageQuery, today: date, errors: dict[str, InputError]) -> Period:
    """The chosen period; days given without a choice are a custom period (the home page's
    links to a stream carry only its days)."""
    custom = not query.period and (query.start.strip() or query.end.strip())
    choice = PeriodChoice.CUSTOM.value if custom else query.period
    try:
        return choose_period(choice, today, query.start, query.end)
    except LedgerInputError as error:
        errors["period"] = error
        return choose_period("", today)  # the default period, as on the home page


def _history(
    session: Session, stream: Stream, end: date, today: date, months: int, rates: Rates
) -> dict[str, Any]:
    last = end.replace(day=1)
    rows = queries.monthly_history(session, stream, last, months, rates, through=today)
    started = stream.started_on.replace(day=1)
    while len(rows) > 1 and rows[0][0] < started and rows[0][1] == Figures():
        rows.pop(0)  # months before the stream began, with nothing in them
    lines: dict[str, Sparkline | None] = {
        name: sparkline(
            [float(getattr(figures, name)) for _month, figures in rows],
            title=f"{label}, {rows[0][0]:%Y-%m} to {rows[-1][0]:%Y-%m}",
        )
        for name, label in _HISTORY
    }
    clicks: dict[date, ClickFigures] | None = None
    if facts.stream_link_ids(session, stream.id):
        counted = {
            c.period: c
            for c in facts.stream_clicks(
                session, stream.id, rows[0][0], month_end(rows[-1][0]), by="month"
            )
        }
        clicks = {}
        for month, figures in rows:
            found = counted.get(month)
            clicks[month] = ClickFigures(
                found.total if found else 0, found.human if found else 0, figures.income
            )
    # This month's row is its days so far, links to them and says so (partial: True).
    table = []
    for month, figures in reversed(rows):
        last = min(month_end(month), today) if month <= today else month_end(month)
        table.append((month, last, figures, last < month_end(month)))
    return {"history": table, "sparklines": lines, "history_columns": _HISTORY,
            "history_clicks": clicks}  # fmt: skip


def _persistence_source(
    chosen: Decimal | None, stream: Stream, valuation: queries.Valuation
) -> str:
    if chosen is not None:
        return "your choice on this page"
    if stream.persistence is not None:
        return "this stream's setting"
    if valuation.estimate is not None:
        return "estimated from the stream's monthly residual income"
    return "none set and too little history to estimate it (6 months needed), so 0"


def _bridge_chart(bridge: Bridge) -> Waterfall:
    steps = [("Capital", float(bridge.capital))]
    steps += [(f"Year {year.year}", float(year.present_value)) for year in bridge.years]
    steps.append(("Continuing", float(bridge.continuing_present_value)))
    return waterfall("Value bridge: capital, PV of RI by year, continuing value", steps, "Value")


def _value(
    session: Session,
    stream: Stream,
    query: PageQuery,
    as_of: date,
    rates: Rates,
    errors: dict[str, InputError],
    stored: service.StoredForecast | None,
) -> dict[str, Any]:
    """Valuation as of a day: with a forecast tried on the page, its multistage bridge; else
    with the stored forecast, its bridge; else the one-stage one on the last 12 months."""
    chosen: Decimal | None = None
    bridge_from, problem = "ttm", ""
    try:
        if query.persistence.strip():
            chosen = parse_rate(
                query.persistence, "persistence", low=_ZERO, high=_ONE, example="0.6"
            )
        forecast = parse_forecast(query.forecast) if query.forecast.strip() else None
        continuing = (
            parse_signed(query.continuing, "continuing")
            if forecast and query.continuing.strip()
            else None
        )
        valuation = queries.valuation(session, stream, as_of, rates, chosen)
        if forecast is not None:
            bridge = multistage_bridge(
                valuation.capital, forecast, continuing, rates.required_return,
                valuation.persistence,
            )  # fmt: skip
            bridge_from = "preview"
        else:
            bridge = single_stage_bridge(
                valuation.capital, valuation.residual_income_ttm, rates.required_return,
                valuation.persistence,
            )  # fmt: skip
    except LedgerInputError as error:
        errors["value"] = error
        return {"valuation": None, "bridge": None}
    except SavedRatesConflict as saved:  # not this request's fault: the page shows, asking
        return {"valuation": None, "bridge": None, "saved_problem": saved}
    if bridge_from == "ttm" and stored is not None:
        try:
            bridge = forecast_bridge(stored.plan, valuation.capital, rates.required_return)
            bridge_from = "stored"
        except LedgerInputError as refused:  # the forecast stays; these rates cannot value it
            problem = f"{refused.field}: {refused.message}"
    ttm_start, _ = trailing_year(as_of)  # the card names its days: they are not the table's months
    return {
        "valuation": valuation,
        "persistence_source": _persistence_source(chosen, stream, valuation),
        "forecast": forecast,
        "bridge": bridge,
        "bridge_from": bridge_from,
        "forecast_problem": problem,
        "bridge_chart": _bridge_chart(bridge),
        "ttm_start": ttm_start,
        "ttm_query": query.period_only().encoded(
            period="", start=ttm_start.isoformat(), end=as_of.isoformat()
        ),
    }


def figures_section(
    session: Session, stream: Stream, query: PageQuery, today: date
) -> tuple[dict[str, Any], dict[str, InputError]]:
    """The period, the rates charged, the figures and the capital charge's working."""
    errors: dict[str, InputError] = {}
    period = _period(query, today, errors)
    charged = stream_rates(session, stream)
    rates = charged.rates
    figures = queries.stream_figures(session, [stream], period.start, period.end, rates)
    context: dict[str, Any] = {
        "period": period,
        "choices": [c for c in PeriodChoice if c is not PeriodChoice.CUSTOM],
        "days": (period.end - period.start).days + 1,
        "charged": charged,
        "figures": figures[stream.id],
        "per_hour": (
            figures[stream.id].residual_income / figures[stream.id].hours
            if figures[stream.id].hours
            else None
        ),
        "capital": queries.capital_working(
            session, stream, period.start, period.end, rates.required_return
        ),
        "split": queries.capital_split(session, stream, period.end),
        "clicks": _clicks(session, stream, period.start, period.end, figures[stream.id].income),
        "as_of": min(period.end, today),
    }
    return context, errors


def page_sections(
    session: Session, stream: Stream, query: PageQuery, today: date
) -> tuple[dict[str, Any], dict[str, InputError]]:
    """Every section's values for the template, and the refusals to show beside their forms."""
    context, errors = figures_section(session, stream, query, today)
    rates = context["charged"].rates
    period_end = context["period"].end
    context.update(_history(session, stream, period_end, today, query.history_months, rates))
    stored = service.stream_forecast(session, stream)
    context["stored_forecast"] = stored
    if not context["charged"].missing:
        context.update(_value(session, stream, query, context["as_of"], rates, errors, stored))
    return context, errors
