"""JSON and CSV routes of the ledger's figures: residual income per stream for a period, a
stream's value, its month-by-month history and the entries behind any figure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from evergreen.db import utcnow
from evergreen.ledger import queries, service
from evergreen.ledger.api import tables
from evergreen.ledger.api.schemas import day, day_query, period, rate
from evergreen.ledger.api.streams import StreamDep
from evergreen.ledger.errors import LedgerInputError
from evergreen.ledger.models import Stream
from evergreen.ledger.rules import Figure, Figures, Rates
from evergreen.ledger.rules.forecast import Continuing, forecast_bridge
from evergreen.money import cents, show_amount, show_number
from evergreen.web.deps import ApiStaff, SessionDep
from evergreen.web.downloads import csv_download, file_answer

__all__ = ["router"]

router = APIRouter(prefix="/ledger", tags=["ledger"])

From = Annotated[str, day_query("from", "First day, YYYY-MM-DD")]
To = Annotated[str, day_query("to", "Last day, YYYY-MM-DD (included)")]
_RATE = Query(max_length=40, description="Overrides the saved default for this answer")
HourlyRate = Annotated[str | None, _RATE]
RequiredReturn = Annotated[str | None, _RATE]
_MAX_ENTRIES = 1_000_000  # a CSV of the entries behind one figure


def _rates(
    session: Session, hourly_rate: str | None, required_return: str | None,
    streams: Sequence[Stream],
) -> Rates:  # fmt: skip
    hour, ret = rate(hourly_rate, "hourly_rate"), rate(required_return, "required_return")
    return service.rates_for(session, hour, ret, streams=streams)


class FiguresOut(BaseModel):
    """A period's figures, money to cents: RI = income - costs - time charge - capital charge."""

    income: str
    costs: str
    hours: str
    owner_time_charge: str
    capital_charge: str
    residual_income: str

    @classmethod
    def of(cls, figures: Figures) -> FiguresOut:
        """The figures rounded for showing."""
        return cls(**figures.as_strings())


class StreamFiguresOut(FiguresOut):
    """One stream's line of the report."""

    id: int
    name: str
    kind: str
    currency: str


class ReportOut(BaseModel):
    """`streams report --json`, with each stream's ID and the rates the figures used."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    start: str = Field(alias="from")
    to: str
    currency: str
    hourly_rate: str | None = Field(
        description="The default charged to streams without their own; null when every stream "
        "has its own and none is saved"
    )
    required_return: str | None = Field(description="As hourly_rate, for the capital charge")
    streams: list[StreamFiguresOut]
    total: FiguresOut


def _report(
    session: Session, start: str, end: str, hourly_rate: str | None, required_return: str | None
) -> tuple[queries.Report, Rates]:
    first, last = period(start, end)
    rates = _rates(session, hourly_rate, required_return, service.all_streams(session))
    currency = service.preferences(session).currency
    return queries.report(session, first, last, rates, currency), rates


@router.get("/report", operation_id="ledger_report")
def report(
    session: SessionDep, user: ApiStaff, start: From, end: To,
    hourly_rate: HourlyRate = None, required_return: RequiredReturn = None,
) -> ReportOut:  # fmt: skip
    """Residual income of every stream for a period (both days included), and the total."""
    result, rates = _report(session, start, end, hourly_rate, required_return)
    saved = service.preferences(session)
    hour: Decimal | None = rates.hourly_rate
    ret: Decimal | None = rates.required_return
    if hourly_rate is None and saved.hourly_rate is None:
        hour = None  # every stream has its own
    if required_return is None and saved.required_return is None:
        ret = None
    rows = [
        StreamFiguresOut(id=row.id, name=row.name, kind=row.kind, currency=row.currency,
                         **row.figures.as_strings())
        for row in result.rows
    ]  # fmt: skip
    return ReportOut(
        start=result.start.isoformat(), to=result.end.isoformat(), currency=result.currency,
        hourly_rate=None if hour is None else show_number(hour),
        required_return=None if ret is None else show_number(ret), streams=rows,
        total=FiguresOut.of(result.total),
    )  # fmt: skip


@router.get(
    "/report.csv", operation_id="export_ledger_report", **file_answer("The report", "text/csv")
)
def report_csv(
    session: SessionDep, user: ApiStaff, start: From, end: To,
    hourly_rate: HourlyRate = None, required_return: RequiredReturn = None,
) -> Response:  # fmt: skip
    """The report as CSV: one row a stream, then the total."""
    result, _rates_used = _report(session, start, end, hourly_rate, required_return)
    name = f"ledger-report-{result.start}-{result.end}.csv"
    return csv_download(name, lambda out: tables.write_report(result, out))


class PersistenceOut(BaseModel):
    """ω fitted on the stream's monthly residual income: RI(m+1) = φ·RI(m), ω = φ¹²."""

    omega: str
    monthly: str
    r_squared: str
    months: int


class ForecastStepOut(BaseModel):
    """One explicit year of the forecast and that discounted to the day valued."""

    year: int
    residual_income: str
    present_value: str


class ForecastValueOut(BaseModel):
    """The value with the stream's stored forecast: capital + Σ RIₜ ÷ (1 + r)ᵗ + the continuing
    value (RI of year T+1 ÷ (1 + r - ω)) discounted T years."""

    value: str
    continuing: Continuing
    persistence: str
    years: list[ForecastStepOut]
    continuing_residual_income: str = Field(description="RI of the first year after the forecast")
    continuing_value: str = Field(description="At the end of the last forecast year")
    continuing_present_value: str


def _forecast_value(
    session: Session, stream: Stream, capital: Decimal, required_return: Decimal
) -> tuple[ForecastValueOut | None, str | None]:
    """The stored forecast's value, or why it cannot be valued (None, None without one)."""
    stored = service.stream_forecast(session, stream)
    if stored is None:
        return None, None
    try:
        bridge = forecast_bridge(stored.plan, capital, required_return)
    except LedgerInputError as refused:
        return None, f"{refused.field}: {refused.message}"
    steps = [
        ForecastStepOut(year=y.year, residual_income=show_amount(y.residual_income),
                        present_value=_cents(y.present_value))
        for y in bridge.years
    ]  # fmt: skip
    return ForecastValueOut(
        value=_cents(bridge.value), continuing=stored.plan.continuing,
        persistence=show_number(bridge.persistence), years=steps,
        continuing_residual_income=_cents(bridge.continuing_residual_income),
        continuing_value=_cents(bridge.continuing_value),
        continuing_present_value=_cents(bridge.continuing_present_value),
    ), None  # fmt: skip


def _cents(value: Decimal) -> str:
    return str(cents(value) + 0)


class ValueOut(BaseModel):
    """capital + trailing-year RI ÷ (1 + r - ω), and where ω came from."""

    as_of: str
    value: str
    capital: str
    capital_contributed: str = Field(description="Money put in, net of what was taken out")
    capital_assets: str = Field(description="Balances of the stream's non-money Assets accounts")
    residual_income_ttm: str
    required_return: str
    persistence: str
    persistence_from: Literal["given", "stream", "estimate", "none"]
    estimate: PersistenceOut | None
    forecast: ForecastValueOut | None = Field(
        description="The value with the stream's stored forecast (PUT /streams/{id}/forecast); "
        "null without one"
    )
    forecast_problem: str | None = Field(
        None, description="Why the stored forecast cannot be valued with these rates"
    )


@router.get("/streams/{stream_id}/value", operation_id="stream_value")
def stream_value(
    stream: StreamDep, session: SessionDep,
    as_of: Annotated[str | None, day_query("as_of", "Value at this day's end; today if left out")]
    = None,
    persistence: Annotated[str | None, Query(max_length=40, description="ω between 0 and 1")]
    = None,
    hourly_rate: HourlyRate = None, required_return: RequiredReturn = None,
) -> ValueOut:  # fmt: skip
    """What a stream is worth: the owner's ω, the stream's, or one estimated from its history
    (shown with its fit), else 0; and with the stream's stored forecast, when it has one."""
    on = day(as_of, "as_of") if as_of else utcnow().date()
    omega = rate(persistence, "persistence")
    rates = _rates(session, hourly_rate, required_return, [stream])
    found = queries.valuation(session, stream, on, rates, omega)
    shown = found.to_dict()
    fit = found.estimate
    source: Literal["given", "stream", "estimate", "none"] = (
        "given" if omega is not None else "stream" if stream.persistence is not None
        else "estimate" if fit is not None else "none"
    )  # fmt: skip
    required = rates.override(None, stream.required_return).required_return
    forecast, problem = _forecast_value(session, stream, found.capital, required)
    return ValueOut(
        as_of=on.isoformat(), value=str(shown["value"]), capital=str(shown["capital"]),
        capital_contributed=str(shown["capital_contributed"]),
        capital_assets=str(shown["capital_assets"]),
        residual_income_ttm=str(shown["residual_income_ttm"]),
        required_return=show_number(required), forecast=forecast, forecast_problem=problem,
        persistence=show_number(found.persistence), persistence_from=source,
        estimate=None if fit is None else PersistenceOut(
            omega=f"{fit.omega:.4f}", monthly=f"{fit.monthly:.4f}",
            r_squared=f"{fit.r_squared:.4f}", months=fit.months,
        ),
    )  # fmt: skip


class MonthOut(FiguresOut):
    """One calendar month's figures."""

    month: str = Field(examples=["2026-03"])


class HistoryOut(BaseModel):
    """A stream's figures month by month, oldest first."""

    stream_id: int
    currency: str
    months: list[MonthOut]


Months = Annotated[int, Query(ge=1, le=120, description="How many months, up to 120")]
Until = Annotated[
    str | None,
    day_query("until", "A day of the last month; today if left out (no day after today counts)"),
]


def _history(
    session: Session, stream: Stream, months: int, until: str | None,
    hourly_rate: str | None, required_return: str | None,
) -> list[tuple[date, Figures]]:  # fmt: skip
    today = utcnow().date()
    last = day(until, "until") if until else today
    rates = _rates(session, hourly_rate, required_return, [stream])
    return queries.monthly_history(
        session, stream, last.replace(day=1), months, rates, through=today
    )


@router.get("/streams/{stream_id}/history", operation_id="stream_history")
def stream_history(
    stream: StreamDep, session: SessionDep, months: Months = 12, until: Until = None,
    hourly_rate: HourlyRate = None, required_return: RequiredReturn = None,
) -> HistoryOut:  # fmt: skip
    """The stream's income, costs, hours, charges and residual income for each month."""
    history = _history(session, stream, months, until, hourly_rate, required_return)
    rows = [MonthOut(month=m.strftime("%Y-%m"), **f.as_strings()) for m, f in history]
    return HistoryOut(stream_id=stream.id, currency=stream.currency, months=rows)


@router.get(
    "/streams/{stream_id}/history.csv",
    operation_id="export_stream_history",
    **file_answer("The stream's months", "text/csv"),
)
def stream_history_csv(
    stream: StreamDep, session: SessionDep, months: Months = 12, until: Until = None,
    hourly_rate: HourlyRate = None, required_return: RequiredReturn = None,
) -> Response:  # fmt: skip
    """The history as CSV: one row a month."""
    history = _history(session, stream, months, until, hourly_rate, required_return)
    name = f"stream-{stream.id}-history.csv"
    return csv_download(name, lambda out: tables.write_history(history, out))


class EntryOut(BaseModel):
    """A posting behind the figure; `amount` is what it adds to the figure."""

    transaction_id: int
    date: str
    account: str
    amount: str
    currency: str
    payee: str
    narration: str
    source: str


class EntriesOut(BaseModel):
    """The postings behind one figure; when `complete`, their amounts sum to `total`, the
    figure the report shows (before rounding to cents)."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    stream_id: int
    figure: Figure
    start: str = Field(alias="from")
    to: str
    currency: str
    total: str
    complete: bool
    entries: list[EntryOut]


FigureQuery = Annotated[Figure, Query(description="income, costs or capital")]


@router.get("/streams/{stream_id}/entries", operation_id="stream_entries")
def stream_entries(
    stream: StreamDep, session: SessionDep, start: From, end: To, figure: FigureQuery,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> EntriesOut:  # fmt: skip
    """The entries behind a stream's income, costs or capital moved in a period."""
    first, last = period(start, end)
    lines = queries.entries_behind(session, stream, first, last, figure, limit=limit + 1)
    rows = tables.behind(lines[:limit], stream.id, figure)
    return EntriesOut(
        stream_id=stream.id, figure=figure, start=first.isoformat(), to=last.isoformat(),
        currency=stream.currency, total=show_amount(sum((r.counted for r in rows), Decimal(0))),
        complete=len(lines) <= limit,
        entries=[
            EntryOut(transaction_id=r.line.transaction_id, date=r.line.date.isoformat(),
                     account=r.line.account, amount=show_amount(r.counted),
                     currency=r.line.currency, payee=r.line.payee, narration=r.line.narration,
                     source=r.line.source)
            for r in rows
        ],
    )  # fmt: skip


@router.get(
    "/streams/{stream_id}/entries.csv",
    operation_id="export_stream_entries",
    **file_answer("The entries behind the figure", "text/csv"),
)
def stream_entries_csv(
    stream: StreamDep, session: SessionDep, start: From, end: To, figure: FigureQuery
) -> Response:
    """The entries behind a figure as CSV (all of them)."""
    first, last = period(start, end)
    lines = queries.entries_behind(session, stream, first, last, figure, limit=_MAX_ENTRIES)
    rows = tables.behind(lines, stream.id, figure)
    name = f"stream-{stream.id}-{figure.value}-{first}-{last}.csv"
    return csv_download(name, lambda out: tables.write_entries(rows, out))
