"""What a person types in a lending form, read into values the service takes (or why not)."""

from __future__ import annotations

from datetime import date

from evergreen.isodates import iso_day
from evergreen.lending.errors import LendingInputError

__all__ = ["page_count", "read_date", "read_whole"]


def read_date(field: str, text: str) -> date:
    """A day written YYYY-MM-DD, as a date input sends it; Python's other ISO forms (20260301,
    2026-W09-7) are refused with the rest, so that a bare number is never taken for a day."""
    shown = text.strip()
    try:
        return iso_day(shown)
    except ValueError:
        raise LendingInputError(
            field, f"must be a date as YYYY-MM-DD (got {shown[:20]!r})"
        ) from None


def read_whole(field: str, text: str, low: int, high: int) -> int:
    """A whole number from `low` to `high` (months, days)."""
    try:
        value = int(text.strip())
    except ValueError:
        raise LendingInputError(field, f"must be a whole number (got {text.strip()!r})") from None
    if not low <= value <= high:
        raise LendingInputError(field, f"must be from {low} to {high} (got {value})")
    return value


def page_count(rows: int, per_page: int) -> int:
    """How many pages `rows` fill, at least one (an empty table still has its page)."""
    return max(1, -(-rows // per_page))
