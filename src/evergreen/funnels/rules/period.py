"""The days a report covers, from what a page or the API was given."""

from __future__ import annotations

from datetime import date, timedelta

from evergreen.funnels.errors import FunnelInputError
from evergreen.isodates import iso_day

__all__ = ["MAX_DAYS", "report_period"]

MAX_DAYS = 3660


def report_period(start: str, end: str, today: date) -> tuple[date, date]:
    """The last 30 days by default; a bad, reversed or over-ten-year range is refused, and so is
    the calendar's last day (the report counts up to the day after its end)."""
    try:
        last = iso_day(end.strip()) if end.strip() else today
    except ValueError:
        raise FunnelInputError("end", "dates look like 2026-12-01") from None
    if last == date.max:
        raise FunnelInputError("end", "must be before 9999-12-31")
    try:
        first = iso_day(start.strip()) if start.strip() else _month_before(last)
    except ValueError:
        raise FunnelInputError("start", "dates look like 2026-12-01") from None
    if first > last:
        raise FunnelInputError("start", "must be on or before the end")
    if (last - first).days > MAX_DAYS:
        raise FunnelInputError("start", "a report covers at most ten years")
    return first, last


def _month_before(last: date) -> date:
    """The default first day, 29 days before the end, or the calendar's first day."""
    return last - min(timedelta(days=29), last - date.min)
