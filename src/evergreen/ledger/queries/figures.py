"""Residual income per stream for a period, monthly histories and value, from the rollup."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evergreen.ledger.errors import LedgerInputError, SavedRatesConflict
from evergreen.ledger.models import DailyFigures, HoursEntry, Stream
from evergreen.ledger.queries.capital import asset_balances
from evergreen.ledger.queries.rollup import (
    capital_before,
    capital_moved,
    hours_by_stream,
    in_own_currency,
    rates_of,
    sums,
)
from evergreen.ledger.rules import (
    Figures,
    Rates,
    check_period,
    estimate_persistence,
    figures_for,
    from_units,
    total,
    trailing_year,
    value_of,
)
from evergreen.ledger.rules.residual import DAYS_A_YEAR, capital_days
from evergreen.ledger.rules.value import Persistence

__all__ = [
    "CapitalWorking",
    "Report",
    "StreamRow",
    "Valuation",
    "capital_at",
    "capital_moves",
    "capital_working",
    "histories",
    "monthly_history",
    "report",
    "stream_figures",
    "valuation",
]

_ZERO = Decimal(0)


@dataclass(frozen=True)
class StreamRow:
    """One stream's line of a report."""

    id: int
    name: str
    kind: str
    currency: str
    figures: Figures


@dataclass(frozen=True)
class Report:
    """Every stream's figures for a period and the business total (streams in `currency`)."""

    start: date
    end: date
    currency: str
    rows: list[StreamRow]
    total: Figures

    def to_dict(self) -> dict[str, object]:
        """The JSON shape of `streams report --json` and the API."""
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "currency": self.currency,
            "streams": [
                {
                    "name": row.name,
                    "kind": row.kind,
                    "currency": row.currency,
                    **row.figures.as_strings(),
                }
                for row in self.rows
            ],
            "total": self.total.as_strings(),
        }


def stream_figures(
    session: Session, streams: Sequence[Stream], start: date, end: date, rates: Rates
) -> dict[int, Figures]:
    """Each stream's figures for [start, end], its own rates where it has them."""
    check_period(start, end)
    ids = [s.id for s in streams]
    summed = sums(session, ids, start, end)
    opening = capital_before(session, ids, start)
    hours = hours_by_stream(session, ids, start, end)
    out = {}
    for stream in streams:
        income, costs, moves = summed.get(stream.id, (_ZERO, _ZERO, {}))
        out[stream.id] = figures_for(
            income=income,
            costs=costs,
            hours=hours.get(stream.id, _ZERO),
            opening_capital=opening.get(stream.id, _ZERO),
            capital_changes=moves,
            start=start,
            end=end,
            rates=rates_of(stream, rates),
        )
    return out


def report(session: Session, start: date, end: date, rates: Rates, currency: str = "USD") -> Report:
    """Every stream's residual income for a period; the total sums streams in `currency`."""
    streams = list(session.scalars(select(Stream).order_by(Stream.name)))
    figures = stream_figures(session, streams, start, end, rates)
    rows = [StreamRow(s.id, s.name, s.kind, s.currency, figures[s.id]) for s in streams]
    summed = total(row.figures for row in rows if row.currency == currency)
    return Report(start, end, currency, rows, summed)


@dataclass(frozen=True)
class Valuation:
    """What a stream is worth as of a day, and the figures that value rests on."""

    as_of: date
    value: Decimal
    capital: Decimal
    residual_income_ttm: Decimal
    persistence: Decimal
    estimate: Persistence | None
    capital_in_assets: Decimal = _ZERO  # the part of capital the stream holds as assets

    def to_dict(self) -> dict[str, object]:
        """The JSON shape of `streams value --json`: money rounded to cents; capital split into
        money put in (net) and assets held."""
        cents = Decimal("0.01")
        return {
            "as_of": self.as_of.isoformat(),
            "value": str(self.value.quantize(cents) + 0),
            "capital": str(self.capital.quantize(cents) + 0),
            "capital_contributed": str((self.capital - self.capital_in_assets).quantize(cents) + 0),
            "capital_assets": str(self.capital_in_assets.quantize(cents) + 0),
            "residual_income_ttm": str(self.residual_income_ttm.quantize(cents) + 0),
            "persistence": str(self.persistence),
        }


def capital_at(session: Session, stream: Stream, day: date) -> Decimal:
    """Capital employed in a stream at the end of `day`."""
    return capital_before(session, [stream.id], day + timedelta(days=1)).get(stream.id, _ZERO)


def valuation(
    session: Session,
    stream: Stream,
    as_of: date,
    rates: Rates,
    persistence: Decimal | None = None,
) -> Valuation:
    """Capital + trailing-twelve-month RI ÷ (1 + r - ω), ω given, the stream's, or estimated;
    a saved ω that leaves no value is a SavedRatesConflict (the row's to fix, not the asker's)."""
    stream_rates = rates_of(stream, rates)
    start, end = trailing_year(as_of)
    ttm = stream_figures(session, [stream], start, end, rates)[stream.id].residual_income
    history = monthly_history(session, stream, _month_start(as_of), 24, rates, through=as_of)
    series = [f.residual_income for _, f in history]
    while series and series[0] == 0:  # months before the stream earned or cost anything
        series.pop(0)
    estimate = estimate_persistence(series)
    omega = persistence if persistence is not None else stream.persistence
    if omega is None:
        omega = Decimal(str(round(estimate.omega, 4))) if estimate else _ZERO
    capital = capital_at(session, stream, as_of)
    try:
        value = value_of(capital, ttm, stream_rates.required_return, omega)
    except LedgerInputError as refused:
        if persistence is not None or stream.persistence is None:
            raise  # the rates asked for cannot value it: the asker's to change
        raise SavedRatesConflict(
            refused.field,
            f"this stream's saved persistence {stream.persistence.normalize():f} with a "
            f"required return of {stream_rates.required_return.normalize():f} leaves it no "
            "value (1 + r - ω ≤ 0); save a lower persistence or a higher required return "
            "for the stream",
        ) from None
    return Valuation(
        as_of,
        value,
        capital,
        ttm,
        omega,
        estimate,
        sum(asset_balances(session, stream, as_of).values(), _ZERO),
    )


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def monthly_history(
    session: Session,
    stream: Stream,
    last_month: date,
    months: int,
    rates: Rates,
    *,
    through: date | None = None,
) -> list[tuple[date, Figures]]:
    """A stream's figures for each of `months` calendar months ending with `last_month`,
    oldest first (the history table and its sparklines); none counts a day after `through`."""
    return histories(session, [stream], last_month, months, rates, through=through)[stream.id]


def histories(
    session: Session,
    streams: Sequence[Stream],
    last_month: date,
    months: int,
    rates: Rates,
    *,
    through: date | None = None,
) -> dict[int, list[tuple[date, Figures]]]:
    """Monthly figures of several streams in three queries (the home page's trends): daily
    rollup rows of the window, capital before it, and hours, folded month by month.

    `through` (today, or the day valued) is the last day counted: the month holding it runs
    to it, so capital is not charged for days still to come nor an entry dated later counted,
    and a month after it is all zero."""
    first = _month_start(last_month)
    for _ in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    last = _next_month(_month_start(last_month)) - timedelta(days=1)
    end = last if through is None else min(last, through)
    ids = [s.id for s in streams]
    dialect = session.get_bind().dialect.name
    month_of = (
        func.to_char(DailyFigures.day, "YYYY-MM")
        if dialect == "postgresql"
        else func.substr(DailyFigures.day, 1, 7)
    )
    monthly: dict[tuple[int, date], tuple[Decimal, Decimal]] = {}
    for stream_id, month_text, income_units, costs_units in session.execute(
        select(
            DailyFigures.stream_id,
            month_of,
            func.sum(DailyFigures.income_units),
            func.sum(DailyFigures.costs_units),
        )
        .join(Stream, Stream.id == DailyFigures.stream_id)
        .where(*in_own_currency(ids), DailyFigures.day.between(first, end))
        .group_by(DailyFigures.stream_id, month_of)
    ):
        month = date.fromisoformat(f"{month_text}-01")
        monthly[(stream_id, month)] = (
            from_units(int(income_units or 0)),
            from_units(int(costs_units or 0)),
        )
    capital = capital_moved(session, ids, first, end)
    hours: dict[tuple[int, date], Decimal] = defaultdict(Decimal)
    for stream_id, day, spent in session.execute(
        select(HoursEntry.stream_id, HoursEntry.date, HoursEntry.hours).where(
            HoursEntry.stream_id.in_(ids), HoursEntry.date.between(first, end)
        )
    ):
        hours[(stream_id, _month_start(day))] += Decimal(spent)
    opening = capital_before(session, ids, first)
    out: dict[int, list[tuple[date, Figures]]] = {}
    for stream in streams:
        moved: dict[date, dict[date, Decimal]] = {}
        for day, amount in capital.get(stream.id, {}).items():
            moved.setdefault(_month_start(day), {})[day] = amount
        capital_now = opening.get(stream.id, _ZERO)
        own = rates_of(stream, rates)
        series = []
        month = first
        while month <= last:
            if month > end:
                series.append((month, Figures()))
                month = _next_month(month)
                continue
            income, costs = monthly.get((stream.id, month), (_ZERO, _ZERO))
            moves = moved.get(month, {})
            month_end = min(_next_month(month) - timedelta(days=1), end)
            series.append(
                (
                    month,
                    figures_for(
                        income=income, costs=costs, hours=hours.get((stream.id, month), _ZERO),
                        opening_capital=capital_now, capital_changes=moves, start=month,
                        end=month_end, rates=own,
                    ),
                )
            )  # fmt: skip
            capital_now += sum(moves.values(), _ZERO)
            month = _next_month(month)
        out[stream.id] = series
    return out


def capital_moves(session: Session, stream: Stream) -> dict[date, Decimal]:
    """Capital moved in a stream per day (money put in or taken out, assets bought or sold),
    all time (for the value bridge)."""
    moves: dict[date, Decimal] = defaultdict(Decimal)
    for day, capital in session.execute(
        select(DailyFigures.day, DailyFigures.capital_units).where(
            DailyFigures.stream_id == stream.id,
            DailyFigures.currency == stream.currency,
            DailyFigures.capital_units != 0,
        )
    ):
        moves[day] += from_units(capital)
    return dict(moves)


@dataclass(frozen=True)
class CapitalWorking:
    """How a period's capital charge is reached: Σ daily capital x r ÷ 365."""

    opening: Decimal  # at the end of the day before the period
    put_in: Decimal  # money put in and assets bought or put in
    taken_out: Decimal  # negative or zero: money taken out, assets sold, repaid or written down
    closing: Decimal
    capital_days: Decimal  # Σ over the period's days of the capital at each day's end
    days: int
    required_return: Decimal
    charge: Decimal

    @property
    def average(self) -> Decimal:
        """The average daily capital employed."""
        return self.capital_days / self.days


def capital_working(
    session: Session, stream: Stream, start: date, end: date, required_return: Decimal
) -> CapitalWorking:
    """The capital charge of a stream for [start, end] with every step that leads to it."""
    check_period(start, end)
    opening = capital_before(session, [stream.id], start).get(stream.id, _ZERO)
    moves = capital_moved(session, [stream.id], start, end).get(stream.id, {})
    day_sum = capital_days(opening, moves, start, end)
    return CapitalWorking(
        opening=opening,
        put_in=sum((m for m in moves.values() if m > 0), _ZERO),
        taken_out=sum((m for m in moves.values() if m < 0), _ZERO),
        closing=opening + sum(moves.values(), _ZERO),
        capital_days=day_sum,
        days=(end - start).days + 1,
        required_return=required_return,
        charge=day_sum * required_return / DAYS_A_YEAR,
    )
