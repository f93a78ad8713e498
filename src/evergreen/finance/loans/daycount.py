"""Day-count conventions: how many days of interest a lender may charge between two dates.

Three conventions are supported, named as loan documents name them:

- ``"30/360"``: every month counts as 30 days and the year as 360, with the US (SIA) month-end
  rules: a start on the last day of February counts as the 30th (and so does an end on the last
  day of February when the start was also February's last day); an end on the 31st counts as
  the 30th when the start is the 30th or 31st; a start on the 31st counts as the 30th.
- ``"actual/360"``: calendar days over a 360-day year (what most private and bank lenders use).
- ``"actual/365"``: calendar days over a 365-day year, leap years included ("actual/365 fixed").
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import Literal

from evergreen.finance.errors import FinanceInputError

__all__ = [
    "DAY_COUNTS",
    "DayCount",
    "add_months",
    "check_day_count",
    "day_count",
    "year_fraction",
]

DayCount = Literal["30/360", "actual/360", "actual/365"]
DAY_COUNTS: tuple[DayCount, ...] = ("30/360", "actual/360", "actual/365")

_YEAR_DAYS: dict[DayCount, int] = {"30/360": 360, "actual/360": 360, "actual/365": 365}


def check_day_count(convention: str, field: str = "day_count") -> DayCount:
    """Turn a convention name into a checked ``DayCount`` so a typo fails before any interest."""
    if convention not in DAY_COUNTS:
        valid = ", ".join(repr(name) for name in DAY_COUNTS)
        raise FinanceInputError(field, f"must be one of {valid} (got {convention!r})")
    return convention


def _is_last_of_february(day: date) -> bool:
    return day.month == 2 and day.day == calendar.monthrange(day.year, 2)[1]


def _days_30_360(start: date, end: date) -> int:
    d1, d2 = start.day, end.day
    if _is_last_of_february(start) and _is_last_of_february(end):
        d2 = 30
    if _is_last_of_february(start):
        d1 = 30
    if d2 == 31 and d1 >= 30:
        d2 = 30
    if d1 == 31:
        d1 = 30
    return 360 * (end.year - start.year) + 30 * (end.month - start.month) + (d2 - d1)


def day_count(start: date, end: date, convention: str) -> int:
    """Days of interest from ``start`` to ``end`` under a convention, so accruals match the note."""
    checked = check_day_count(convention)
    if end < start:
        raise FinanceInputError(
            "end", f"must not be before start ({end.isoformat()} < {start.isoformat()})"
        )
    if checked == "30/360":
        return _days_30_360(start, end)
    return (end - start).days


def year_fraction(start: date, end: date, convention: str) -> float:
    """Fraction of a year between two dates, the factor an annual rate is multiplied by."""
    checked = check_day_count(convention)
    return day_count(start, end, checked) / _YEAR_DAYS[checked]


def add_months(start: date, months: int) -> date:
    """The same day ``months`` later, clamped to the month's end, as payment dates are set."""
    if months < 0:
        raise FinanceInputError("months", f"must be 0 or more (got {months})")
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))
