"""Read model of the dashboard home: every stream's row for a period (the report's figures),
its twelve-month trend and value, the business total and value, what changed since last month
and the passive share. Built on queries.report, stream_figures and histories: nothing is summed
twice, and each period's figures (and the monthly histories) are read once for all streams."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.ledger import queries
from evergreen.ledger.errors import LedgerInputError
from evergreen.ledger.models import Stream
from evergreen.ledger.rules import Figures, Rates, estimate_persistence, trailing_year, value_of
from evergreen.ledger.rules.passive import PassiveShare, passive_share
from evergreen.ledger.rules.periods import (
    months_between,
    months_ending,
    same_days_last_month,
)

__all__ = ["Change", "Changes", "Home", "HomeRow", "Worth", "home"]

_ZERO = Decimal(0)
TREND_MONTHS = 12
_HISTORY_MONTHS = 24  # as queries.valuation fits persistence on


def _per_hour(figures: Figures) -> Decimal | None:
    return figures.residual_income / figures.hours if figures.hours else None


@dataclass(frozen=True)
class Worth:
    """A stream's value on a day, or why it cannot be valued (1 + r - ω ≤ 0)."""

    value: Decimal | None
    persistence: Decimal
    problem: str = ""


@dataclass(frozen=True)
class HomeRow:
    """One stream's line: the period's figures, RI per owner-hour, its trend and its value."""

    id: int
    name: str
    kind: str
    currency: str
    figures: Figures
    trend: list[Decimal]  # RI of each of the last 12 months, oldest first
    worth: Worth
    in_total: bool  # in the owner's currency, so part of the business total

    @property
    def per_hour(self) -> Decimal | None:
        """Residual income per hour the owner put in; None when no hours were put in."""
        return _per_hour(self.figures)


@dataclass(frozen=True)
class Change:
    """A stream's (or the total's) income and RI this month to date and the same days before."""

    name: str
    stream_id: int | None
    income_now: Decimal
    income_before: Decimal
    ri_now: Decimal
    ri_before: Decimal

    @property
    def income_change(self) -> Decimal:
        """Income now less income then."""
        return self.income_now - self.income_before

    @property
    def ri_change(self) -> Decimal:
        """Residual income now less residual income then."""
        return self.ri_now - self.ri_before


@dataclass(frozen=True)
class Changes:
    """What changed since last month: this month so far against the same days last month."""

    now: tuple[date, date]
    before: tuple[date, date]
    rows: list[Change]
    total: Change


@dataclass(frozen=True)
class Home:
    """Everything the home page shows for a period."""

    start: date
    end: date
    currency: str
    rows: list[HomeRow]
    total: Figures
    valued_on: date
    business_value: Decimal
    unvalued: list[str]  # streams in the owner's currency left out of the business value
    other_currencies: list[str]
    trend_months: list[date]
    changes: Changes
    passive: PassiveShare

    @property
    def total_per_hour(self) -> Decimal | None:
        """The business's residual income per owner-hour; None without hours."""
        return _per_hour(self.total)


class _Reader:
    """Figures per (first, last) day, read once for every stream and kept for the request."""

    def __init__(self, session: Session, streams: list[Stream], rates: Rates) -> None:
        self.session, self.streams, self.rates = session, streams, rates
        self._seen: dict[tuple[date, date], dict[int, Figures]] = {}

    def figures(self, start: date, end: date) -> dict[int, Figures]:
        key = (start, end)
        if key not in self._seen:
            self._seen[key] = queries.stream_figures(
                self.session, self.streams, start, end, self.rates
            )
        return self._seen[key]

    def keep(self, start: date, end: date, figures: dict[int, Figures]) -> None:
        """Figures read already (the report's), so they are not read again."""
        self._seen[(start, end)] = figures


def _worth(
    reader: _Reader, stream: Stream, as_of: date, history: list[tuple[date, Figures]]
) -> Worth:
    """queries.valuation's value, from figures read for all streams at once (equal to it: the
    home page's tests check so); `history` is the stream's 24 months ending with as_of's."""
    rates = reader.rates.override(stream.hourly_rate, stream.required_return)
    ttm = reader.figures(*trailing_year(as_of))[stream.id].residual_income
    series = [figures.residual_income for _month, figures in history]
    while series and series[0] == 0:  # months before the stream earned or cost anything
        series.pop(0)
    estimate = estimate_persistence(series)
    omega = stream.persistence
    if omega is None:
        omega = Decimal(str(round(estimate.omega, 4))) if estimate else _ZERO
    capital = queries.capital_at(reader.session, stream, as_of)
    try:
        return Worth(value_of(capital, ttm, rates.required_return, omega), omega)
    except LedgerInputError as refused:
        return Worth(None, omega, refused.message)


def _trends(reader: _Reader, today: date) -> dict[int, list[Decimal]]:
    """Each stream's RI in the last 12 months; this month's so far, so days still to come are
    not charged for capital yet."""
    months = queries.histories(
        reader.session, reader.streams, today, TREND_MONTHS, reader.rates, through=today
    )
    return {
        stream_id: [figures.residual_income for _month, figures in series]
        for stream_id, series in months.items()
    }


def _changes(reader: _Reader, today: date, currency: str) -> Changes:
    now = (today.replace(day=1), today)
    before = same_days_last_month(today)
    this, that = reader.figures(*now), reader.figures(*before)
    rows = [
        Change(s.name, s.id, this[s.id].income, that[s.id].income,
               this[s.id].residual_income, that[s.id].residual_income)
        for s in reader.streams
    ]  # fmt: skip
    counted = [row for row, s in zip(rows, reader.streams, strict=True) if s.currency == currency]
    total = Change(
        "Total",
        None,
        sum((r.income_now for r in counted), _ZERO),
        sum((r.income_before for r in counted), _ZERO),
        sum((r.ri_now for r in counted), _ZERO),
        sum((r.ri_before for r in counted), _ZERO),
    )
    return Changes(now, before, rows, total)


def _passive(
    reader: _Reader, start: date, end: date, currency: str, threshold: Decimal
) -> PassiveShare:
    counted = [s for s in reader.streams if s.currency == currency]
    months = []
    for first, last in months_between(start, end):
        figures = reader.figures(first, last)
        months.append([(figures[s.id].income, figures[s.id].hours) for s in counted])
    return passive_share(months, threshold)


def home(
    session: Session,
    start: date,
    end: date,
    today: date,
    rates: Rates,
    *,
    currency: str,
    passive_hours: Decimal,
) -> Home:
    """The home page's figures for [start, end]; trend and changes run to `today`, values are
    as of the period's end (today at the latest)."""
    report = queries.report(session, start, end, rates, currency)
    streams = {s.id: s for s in session.scalars(select(Stream))}
    reader = _Reader(session, [streams[row.id] for row in report.rows], rates)
    reader.keep(start, end, {row.id: row.figures for row in report.rows})
    as_of = min(end, today)
    histories = queries.histories(
        session, reader.streams, as_of, _HISTORY_MONTHS, rates, through=as_of
    )
    trends = _trends(reader, today)
    rows = []
    for row in report.rows:
        stream = streams[row.id]
        rows.append(
            HomeRow(
                id=row.id,
                name=row.name,
                kind=row.kind,
                currency=row.currency,
                figures=row.figures,
                trend=trends[row.id],
                worth=_worth(reader, stream, as_of, histories[row.id]),
                in_total=row.currency == currency,
            )
        )
    counted = [row for row in rows if row.in_total]
    values = [row.worth.value for row in counted if row.worth.value is not None]
    return Home(
        start=start,
        end=end,
        currency=currency,
        rows=rows,
        total=report.total,
        valued_on=as_of,
        business_value=sum(values, _ZERO),
        unvalued=[row.name for row in counted if row.worth.value is None],
        other_currencies=sorted({row.currency for row in rows if not row.in_total}),
        trend_months=[first for first, _last in months_ending(today, TREND_MONTHS)],
        changes=_changes(reader, today, currency),
        passive=_passive(reader, start, end, currency, passive_hours),
    )
