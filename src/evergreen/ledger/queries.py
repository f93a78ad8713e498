"""Read models of the ledger: residual income per stream for a period, value, history, and the
entries behind any figure. Figures come from the daily rollup the posting service keeps."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from evergreen.errors import NotFound
from evergreen.ledger.models import DailyFigures, HoursEntry, JournalEntry, Posting, Stream
from evergreen.ledger.rules import (
    Figure,
    Figures,
    Rates,
    check_period,
    estimate_persistence,
    figure_of,
    figures_for,
    from_units,
    total,
    trailing_year,
    value_of,
)
from evergreen.ledger.rules.value import Persistence

__all__ = [
    "EntryLine",
    "Report",
    "StreamRow",
    "Transaction",
    "Valuation",
    "entries_behind",
    "histories",
    "hours_entries",
    "monthly_history",
    "report",
    "stream_figures",
    "transaction",
    "transactions",
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


def _rates(stream: Stream, rates: Rates) -> Rates:
    return rates.override(stream.hourly_rate, stream.required_return)


def _in_own_currency(stream_ids: Sequence[int]) -> tuple[ColumnElement[bool], ...]:
    return (
        DailyFigures.stream_id.in_(stream_ids),
        DailyFigures.currency == Stream.currency,
    )


def _capital_moves(
    session: Session, stream_ids: Sequence[int], start: date, end: date
) -> dict[int, dict[date, Decimal]]:
    """Capital put in or taken out, per stream and day (only days when it moved)."""
    moves: dict[int, dict[date, Decimal]] = {}
    for stream_id, day, units in session.execute(
        select(DailyFigures.stream_id, DailyFigures.day, DailyFigures.capital_units)
        .join(Stream, Stream.id == DailyFigures.stream_id)
        .where(
            *_in_own_currency(stream_ids),
            DailyFigures.day.between(start, end),
            DailyFigures.capital_units != 0,
        )
    ):
        moves.setdefault(stream_id, {})[day] = from_units(units)
    return moves


def _sums(
    session: Session, stream_ids: Sequence[int], start: date, end: date
) -> dict[int, tuple[Decimal, Decimal, dict[date, Decimal]]]:
    """(income, costs, capital moved per day) of each stream in its currency, from rollups
    summed by the database (exact: integer ten-thousandths)."""
    moves = _capital_moves(session, stream_ids, start, end)
    rows = session.execute(
        select(
            DailyFigures.stream_id,
            func.sum(DailyFigures.income_units),
            func.sum(DailyFigures.costs_units),
        )
        .join(Stream, Stream.id == DailyFigures.stream_id)
        .where(*_in_own_currency(stream_ids), DailyFigures.day.between(start, end))
        .group_by(DailyFigures.stream_id)
    )
    return {
        stream_id: (
            from_units(int(income or 0)),
            from_units(int(costs or 0)),
            moves.get(stream_id, {}),
        )
        for stream_id, income, costs in rows
    }


def _capital_before(session: Session, stream_ids: Sequence[int], day: date) -> dict[int, Decimal]:
    rows = session.execute(
        select(DailyFigures.stream_id, func.sum(DailyFigures.capital_units))
        .join(Stream, Stream.id == DailyFigures.stream_id)
        .where(
            DailyFigures.stream_id.in_(stream_ids),
            DailyFigures.currency == Stream.currency,
            DailyFigures.day < day,
        )
        .group_by(DailyFigures.stream_id)
    )
    return {stream_id: from_units(int(units or 0)) for stream_id, units in rows}


def _hours(
    session: Session, stream_ids: Sequence[int], start: date, end: date
) -> dict[int, Decimal]:
    rows = session.execute(
        select(HoursEntry.stream_id, func.sum(HoursEntry.hours))
        .where(HoursEntry.stream_id.in_(stream_ids), HoursEntry.date.between(start, end))
        .group_by(HoursEntry.stream_id)
    )
    return {stream_id: Decimal(hours or 0) for stream_id, hours in rows}


def stream_figures(
    session: Session, streams: Sequence[Stream], start: date, end: date, rates: Rates
) -> dict[int, Figures]:
    """Each stream's figures for [start, end], its own rates where it has them."""
    check_period(start, end)
    ids = [s.id for s in streams]
    sums = _sums(session, ids, start, end)
    opening = _capital_before(session, ids, start)
    hours = _hours(session, ids, start, end)
    out = {}
    for stream in streams:
        income, costs, moves = sums.get(stream.id, (_ZERO, _ZERO, {}))
        out[stream.id] = figures_for(
            income=income,
            costs=costs,
            hours=hours.get(stream.id, _ZERO),
            opening_capital=opening.get(stream.id, _ZERO),
            capital_changes=moves,
            start=start,
            end=end,
            rates=_rates(stream, rates),
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

    def to_dict(self) -> dict[str, object]:
        """The JSON shape of `streams value --json`: money rounded to cents."""
        cents = Decimal("0.01")
        return {
            "as_of": self.as_of.isoformat(),
            "value": str(self.value.quantize(cents) + 0),
            "capital": str(self.capital.quantize(cents) + 0),
            "residual_income_ttm": str(self.residual_income_ttm.quantize(cents) + 0),
            "persistence": str(self.persistence),
        }


def capital_at(session: Session, stream: Stream, day: date) -> Decimal:
    """Capital employed in a stream at the end of `day`."""
    return _capital_before(session, [stream.id], day + timedelta(days=1)).get(stream.id, _ZERO)


def valuation(
    session: Session,
    stream: Stream,
    as_of: date,
    rates: Rates,
    persistence: Decimal | None = None,
) -> Valuation:
    """Capital + trailing-twelve-month RI ÷ (1 + r - ω), ω given, the stream's, or estimated."""
    stream_rates = _rates(stream, rates)
    start, end = trailing_year(as_of)
    ttm = stream_figures(session, [stream], start, end, rates)[stream.id].residual_income
    history = monthly_history(session, stream, _month_start(as_of), 24, rates)
    series = [f.residual_income for _, f in history]
    while series and series[0] == 0:  # months before the stream earned or cost anything
        series.pop(0)
    estimate = estimate_persistence(series)
    omega = persistence if persistence is not None else stream.persistence
    if omega is None:
        omega = Decimal(str(round(estimate.omega, 4))) if estimate else _ZERO
    capital = capital_at(session, stream, as_of)
    return Valuation(
        as_of,
        value_of(capital, ttm, stream_rates.required_return, omega),
        capital,
        ttm,
        omega,
        estimate,
    )


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def monthly_history(
    session: Session, stream: Stream, last_month: date, months: int, rates: Rates
) -> list[tuple[date, Figures]]:
    """A stream's figures for each of `months` calendar months ending with `last_month`,
    oldest first (the history table and its sparklines)."""
    return histories(session, [stream], last_month, months, rates)[stream.id]


def histories(
    session: Session, streams: Sequence[Stream], last_month: date, months: int, rates: Rates
) -> dict[int, list[tuple[date, Figures]]]:
    """Monthly figures of several streams in three queries (the home page's trends): daily
    rollup rows of the window, capital before it, and hours, folded month by month."""
    first = _month_start(last_month)
    for _ in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    end = _next_month(_month_start(last_month)) - timedelta(days=1)
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
        .where(*_in_own_currency(ids), DailyFigures.day.between(first, end))
        .group_by(DailyFigures.stream_id, month_of)
    ):
        month = date.fromisoformat(f"{month_text}-01")
        monthly[(stream_id, month)] = (
            from_units(int(income_units or 0)),
            from_units(int(costs_units or 0)),
        )
    capital = _capital_moves(session, ids, first, end)
    hours: dict[tuple[int, date], Decimal] = defaultdict(Decimal)
    for stream_id, day, spent in session.execute(
        select(HoursEntry.stream_id, HoursEntry.date, HoursEntry.hours).where(
            HoursEntry.stream_id.in_(ids), HoursEntry.date.between(first, end)
        )
    ):
        hours[(stream_id, _month_start(day))] += Decimal(spent)
    opening = _capital_before(session, ids, first)
    out: dict[int, list[tuple[date, Figures]]] = {}
    for stream in streams:
        moved: dict[date, dict[date, Decimal]] = {}
        for day, amount in capital.get(stream.id, {}).items():
            moved.setdefault(_month_start(day), {})[day] = amount
        capital_now = opening.get(stream.id, _ZERO)
        own = _rates(stream, rates)
        series = []
        month = first
        while month <= end:
            income, costs = monthly.get((stream.id, month), (_ZERO, _ZERO))
            moves = moved.get(month, {})
            month_end = _next_month(month) - timedelta(days=1)
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


@dataclass(frozen=True)
class EntryLine:
    """A posting behind a figure, with its transaction's date and words."""

    transaction_id: int
    date: date
    narration: str
    payee: str
    account: str
    amount: Decimal
    currency: str
    source: str


def entries_behind(
    session: Session, stream: Stream, start: date, end: date, figure: Figure, limit: int = 500
) -> list[EntryLine]:
    """The postings that make up a stream's income, costs or capital in a period."""
    check_period(start, end)
    rows = session.execute(
        select(Posting, JournalEntry)
        .join(JournalEntry, JournalEntry.id == Posting.transaction_id)
        .where(
            Posting.stream_id == stream.id,
            Posting.currency == stream.currency,
            JournalEntry.date.between(start, end),
            JournalEntry.flag == "*",
        )
        .order_by(JournalEntry.date, JournalEntry.id, Posting.id)
    )
    out = []
    for posting, entry in rows:
        if figure_of(posting.account) is not figure:
            continue
        out.append(
            EntryLine(
                entry.id, entry.date, entry.narration, entry.payee, posting.account,
                posting.amount, posting.currency, entry.source,
            )
        )  # fmt: skip
        if len(out) == limit:
            break
    return out


def capital_moves(session: Session, stream: Stream) -> dict[date, Decimal]:
    """Capital put in or taken out of a stream per day, all time (for the value bridge)."""
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
class Transaction:
    """A journal transaction with its postings and the reversal that undid it, if any."""

    entry: JournalEntry
    postings: list[Posting]
    reversed_by: int | None


def _with_postings(session: Session, entries: Sequence[JournalEntry]) -> list[Transaction]:
    ids = [entry.id for entry in entries]
    postings: dict[int, list[Posting]] = defaultdict(list)
    for posting in session.scalars(
        select(Posting).where(Posting.transaction_id.in_(ids)).order_by(Posting.id)
    ):
        postings[posting.transaction_id].append(posting)
    undone: dict[int, int] = {}
    for reversed_id, reversal_id in session.execute(
        select(JournalEntry.reverses_id, JournalEntry.id).where(JournalEntry.reverses_id.in_(ids))
    ):
        if reversed_id is not None:
            undone[reversed_id] = reversal_id
    return [Transaction(e, postings[e.id], undone.get(e.id)) for e in entries]


def transaction(session: Session, transaction_id: int) -> Transaction:
    """One transaction in full, or a 404 that says so."""
    entry = session.get(JournalEntry, transaction_id)
    if entry is None:
        raise NotFound("transaction", f"there is no transaction {transaction_id}")
    return _with_postings(session, [entry])[0]


def _period(column: Any, start: date | None, end: date | None) -> list[Any]:
    return [*([column >= start] if start else []), *([column <= end] if end else [])]


def transactions(
    session: Session,
    *,
    stream_id: int | None = None,
    start: date | None = None,
    end: date | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[Transaction], int]:
    """A page of the journal, newest first (a stream's: any posting tagged with it), and how
    many transactions match in all."""
    where = _period(JournalEntry.date, start, end)
    if stream_id is not None:
        where.append(
            select(Posting.id)
            .where(Posting.transaction_id == JournalEntry.id, Posting.stream_id == stream_id)
            .exists()
        )
    count = session.scalar(select(func.count(JournalEntry.id)).where(*where)) or 0
    newest = (JournalEntry.date.desc(), JournalEntry.id.desc())
    page = session.scalars(
        select(JournalEntry).where(*where).order_by(*newest).limit(limit).offset(offset)
    )
    return _with_postings(session, list(page)), count


def hours_entries(
    session: Session,
    *,
    stream_id: int | None = None,
    start: date | None = None,
    end: date | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[HoursEntry], int]:
    """A page of the owner's time entries, newest first, and how many match in all."""
    where = _period(HoursEntry.date, start, end)
    if stream_id is not None:
        where.append(HoursEntry.stream_id == stream_id)
    count = session.scalar(select(func.count(HoursEntry.id)).where(*where)) or 0
    newest = (HoursEntry.date.desc(), HoursEntry.id.desc())
    page = session.scalars(
        select(HoursEntry).where(*where).order_by(*newest).limit(limit).offset(offset)
    )
    return list(page), count
