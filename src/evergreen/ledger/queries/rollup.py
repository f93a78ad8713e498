"""Sums of the daily rollup the posting service keeps: by stream, by day of capital moved."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from evergreen.ledger.models import DailyFigures, HoursEntry, Stream
from evergreen.ledger.rules import (
    Rates,
    from_units,
)

__all__ = [
    "capital_before",
    "capital_moved",
    "hours_by_stream",
    "in_own_currency",
    "rates_of",
    "sums",
]

_ZERO = Decimal(0)


def rates_of(stream: Stream, rates: Rates) -> Rates:
    return rates.override(stream.hourly_rate, stream.required_return)


def in_own_currency(stream_ids: Sequence[int]) -> tuple[ColumnElement[bool], ...]:
    return (
        DailyFigures.stream_id.in_(stream_ids),
        DailyFigures.currency == Stream.currency,
    )


def capital_moved(
    session: Session, stream_ids: Sequence[int], start: date, end: date
) -> dict[int, dict[date, Decimal]]:
    """Capital put in or taken out, per stream and day (only days when it moved)."""
    moves: dict[int, dict[date, Decimal]] = {}
    for stream_id, day, units in session.execute(
        select(DailyFigures.stream_id, DailyFigures.day, DailyFigures.capital_units)
        .join(Stream, Stream.id == DailyFigures.stream_id)
        .where(
            *in_own_currency(stream_ids),
            DailyFigures.day.between(start, end),
            DailyFigures.capital_units != 0,
        )
    ):
        moves.setdefault(stream_id, {})[day] = from_units(units)
    return moves


def sums(
    session: Session, stream_ids: Sequence[int], start: date, end: date
) -> dict[int, tuple[Decimal, Decimal, dict[date, Decimal]]]:
    """(income, costs, capital moved per day) of each stream in its currency, from rollups
    summed by the database (exact: integer ten-thousandths)."""
    moves = capital_moved(session, stream_ids, start, end)
    rows = session.execute(
        select(
            DailyFigures.stream_id,
            func.sum(DailyFigures.income_units),
            func.sum(DailyFigures.costs_units),
        )
        .join(Stream, Stream.id == DailyFigures.stream_id)
        .where(*in_own_currency(stream_ids), DailyFigures.day.between(start, end))
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


def capital_before(session: Session, stream_ids: Sequence[int], day: date) -> dict[int, Decimal]:
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


def hours_by_stream(
    session: Session, stream_ids: Sequence[int], start: date, end: date
) -> dict[int, Decimal]:
    rows = session.execute(
        select(HoursEntry.stream_id, func.sum(HoursEntry.hours))
        .where(HoursEntry.stream_id.in_(stream_ids), HoursEntry.date.between(start, end))
        .group_by(HoursEntry.stream_id)
    )
    return {stream_id: Decimal(hours or 0) for stream_id, hours in rows}
