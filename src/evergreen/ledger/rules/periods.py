"""Periods the owner looks at: this month, last month, the year so far, the trailing twelve
months or any days they choose; and the calendar months a period falls into."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from evergreen.ledger.errors import LedgerInputError
from evergreen.ledger.rules.inputs import parse_date
from evergreen.ledger.rules.value import trailing_year

__all__ = [
    "DEFAULT_CHOICE",
    "EARLIEST",
    "LATEST",
    "MAX_DAYS",
    "Period",
    "PeriodChoice",
    "choose_period",
    "month_end",
    "month_start",
    "months_between",
    "months_ending",
    "same_days_last_month",
]

# Custom periods stay within these days and this length: every figure, sparkline and passive
# share of such a period is computed month by month, so the bound keeps a page fast and finite.
EARLIEST = date(1900, 1, 1)
LATEST = date(2999, 12, 31)
MAX_DAYS = 3653  # ten years


class PeriodChoice(StrEnum):
    """The periods the home page offers; custom takes a first and a last day."""

    THIS_MONTH = "this_month"
    LAST_MONTH = "last_month"
    YEAR_TO_DATE = "year_to_date"
    TRAILING_YEAR = "trailing_12_months"
    CUSTOM = "custom"

    @property
    def label(self) -> str:
        """The words on the period chooser."""
        return _LABELS[self]


_LABELS = {
    PeriodChoice.THIS_MONTH: "This month",
    PeriodChoice.LAST_MONTH: "Last month",
    PeriodChoice.YEAR_TO_DATE: "Year to date",
    PeriodChoice.TRAILING_YEAR: "Trailing 12 months",
    PeriodChoice.CUSTOM: "Custom",
}


# A page opened without a choice shows the trailing twelve months: a full year on any day (this
# month shows next to nothing early in a month, the year to date early in a year), and the same
# days as the trailing-year residual income a value rests on.
DEFAULT_CHOICE = PeriodChoice.TRAILING_YEAR


@dataclass(frozen=True)
class Period:
    """A chosen period: both days included."""

    choice: PeriodChoice
    start: date
    end: date


def month_start(day: date) -> date:
    """The first day of `day`'s month."""
    return day.replace(day=1)


def month_end(day: date) -> date:
    """The last day of `day`'s month."""
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _previous_month(day: date) -> date:
    return month_start(month_start(day) - timedelta(days=1))


def choose_period(choice: str, today: date, start: str = "", end: str = "") -> Period:
    """The period a chooser's values name (none: DEFAULT_CHOICE); an unknown choice or a bad
    custom day is refused."""
    try:
        picked = PeriodChoice(choice or DEFAULT_CHOICE)
    except ValueError:
        names = ", ".join(item.value for item in PeriodChoice)
        raise LedgerInputError(
            "period", f"{choice[:40]!r} is not a period; use one of {names}"
        ) from None
    if picked is PeriodChoice.THIS_MONTH:
        return Period(picked, month_start(today), today)
    if picked is PeriodChoice.LAST_MONTH:
        first = _previous_month(today)
        return Period(picked, first, month_end(first))
    if picked is PeriodChoice.YEAR_TO_DATE:
        return Period(picked, today.replace(month=1, day=1), today)
    if picked is PeriodChoice.TRAILING_YEAR:
        first, last = trailing_year(today)
        return Period(picked, first, last)
    first = _bounded(parse_date(start.strip(), "from"), "from")
    last = _bounded(parse_date(end.strip(), "to"), "to")
    if last < first:
        raise LedgerInputError("to", f"{last} is before {first}; the period must run forward")
    if (last - first).days + 1 > MAX_DAYS:
        raise LedgerInputError("to", "the period is longer than ten years; choose a shorter one")
    return Period(picked, first, last)


def _bounded(day: date, field: str) -> date:
    if not EARLIEST <= day <= LATEST:
        raise LedgerInputError(field, f"{day} is outside {EARLIEST} to {LATEST}")
    return day


def months_between(start: date, end: date) -> list[tuple[date, date]]:
    """The calendar months [start, end] touches, each cut to the period: (first, last) days."""
    out = []
    first = start
    while first <= end:
        last = min(month_end(first), end)
        out.append((first, last))
        first = last + timedelta(days=1)
    return out


def months_ending(today: date, count: int) -> list[tuple[date, date]]:
    """`count` calendar months ending with today's, oldest first; this month runs to today."""
    firsts = [month_start(today)]
    while len(firsts) < count:
        firsts.insert(0, _previous_month(firsts[0]))
    return [(first, min(month_end(first), today)) for first in firsts]


def same_days_last_month(today: date) -> tuple[date, date]:
    """Last month's days matching this month so far (1 to today's day, cut at its end), so
    this month to date is compared with like for like."""
    first = _previous_month(today)
    return first, min(first.replace(day=1) + timedelta(days=today.day - 1), month_end(first))
