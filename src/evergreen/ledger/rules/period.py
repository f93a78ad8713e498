"""The period a page reports on: a preset relative to today, or the dates the owner typed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from evergreen.ledger.errors import LedgerInputError
from evergreen.ledger.rules.inputs import parse_date
from evergreen.ledger.rules.residual import check_period
from evergreen.ledger.rules.value import trailing_year

__all__ = ["MAX_PERIOD_DAYS", "Period", "Preset", "choose_period", "month_end", "preset_period"]

MAX_PERIOD_DAYS = 3660  # ten years: a page recomputes the capital charge day by day


class Preset(StrEnum):
    """The periods people ask for most, as fava and budgeting apps offer them."""

    THIS_MONTH = "this-month"
    LAST_MONTH = "last-month"
    THIS_QUARTER = "this-quarter"
    LAST_QUARTER = "last-quarter"
    YEAR_TO_DATE = "year-to-date"
    LAST_YEAR = "last-year"
    TRAILING_YEAR = "trailing-year"

    @property
    def label(self) -> str:
        """How the preset reads on a button."""
        return _LABELS[self]


_LABELS = {
    Preset.THIS_MONTH: "This month",
    Preset.LAST_MONTH: "Last month",
    Preset.THIS_QUARTER: "This quarter",
    Preset.LAST_QUARTER: "Last quarter",
    Preset.YEAR_TO_DATE: "Year to date",
    Preset.LAST_YEAR: "Last year",
    Preset.TRAILING_YEAR: "Last 365 days",
}


@dataclass(frozen=True)
class Period:
    """First and last day (both counted) and the preset it came from ("" when typed)."""

    start: date
    end: date
    preset: str = ""

    @property
    def days(self) -> int:
        """How many days the period counts."""
        return (self.end - self.start).days + 1


def month_end(day: date) -> date:
    """The last day of `day`'s month."""
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def preset_period(preset: Preset, today: date) -> Period:
    """The dates of a preset as of `today`; "this" periods run to their end, not to today."""
    if preset is Preset.THIS_MONTH:
        start, end = today.replace(day=1), month_end(today)
    elif preset is Preset.LAST_MONTH:
        end = today.replace(day=1) - timedelta(days=1)
        start = end.replace(day=1)
    elif preset is Preset.THIS_QUARTER:
        start = _quarter_start(today)
        end = month_end(start.replace(month=start.month + 2))
    elif preset is Preset.LAST_QUARTER:
        end = _quarter_start(today) - timedelta(days=1)
        start = _quarter_start(end)
    elif preset is Preset.YEAR_TO_DATE:
        start, end = date(today.year, 1, 1), today
    elif preset is Preset.LAST_YEAR:
        start, end = date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    else:
        start, end = trailing_year(today)
    return Period(start, end, preset.value)


def choose_period(preset: str, start: str, end: str, today: date) -> Period:
    """Typed dates when either is given (both then needed), else the preset (this month when
    none): at most MAX_PERIOD_DAYS long, running forward."""
    if start.strip() or end.strip():
        if not start.strip():
            raise LedgerInputError("from", "is empty; give the first day, e.g. 2026-01-01")
        if not end.strip():
            raise LedgerInputError("to", "is empty; give the last day, e.g. 2026-01-31")
        period = Period(parse_date(start.strip(), "from"), parse_date(end.strip(), "to"))
        check_period(period.start, period.end)
        if period.days > MAX_PERIOD_DAYS:
            raise LedgerInputError(
                "to", f"the period is {period.days} days long; choose at most ten years"
            )
        return period
    try:
        chosen = Preset(preset or Preset.THIS_MONTH.value)
    except ValueError:
        names = ", ".join(p.value for p in Preset)
        raise LedgerInputError(
            "period", f"{preset[:40]!r} is not a period; use one of {names}"
        ) from None
    return preset_period(chosen, today)
