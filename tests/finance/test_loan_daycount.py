"""Day-count conventions against hand-counted days."""

from __future__ import annotations

from datetime import date

import pytest

from evergreen.finance.errors import FinanceInputError
from evergreen.finance.loans.daycount import add_months, day_count, year_fraction


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        # Plain months count 30 days each.
        (date(2023, 1, 15), date(2023, 2, 15), 30),
        (date(2023, 1, 15), date(2024, 1, 15), 360),
        # Start on the 31st counts as the 30th: 30 + 28 - 30 = 28.
        (date(2023, 1, 31), date(2023, 2, 28), 28),
        # End on the 31st after a start on the 30th counts as the 30th: 2 * 30 + 0.
        (date(2023, 1, 30), date(2023, 3, 31), 60),
        # ... but not after a start before the 30th: 2 * 30 + (31 - 29).
        (date(2023, 1, 29), date(2023, 3, 31), 62),
        # Start on the last day of February counts as the 30th: 30 + (30 - 30).
        (date(2023, 2, 28), date(2023, 3, 31), 30),
        (date(2024, 2, 29), date(2024, 3, 15), 15),
        # Both on the last day of February: both count as the 30th, a full year.
        (date(2024, 2, 29), date(2025, 2, 28), 360),
        # February 28 in a leap year is not month end.
        (date(2024, 2, 28), date(2024, 3, 28), 30),
        (date(2024, 3, 1), date(2024, 3, 1), 0),
    ],
)
def test_30_360_us_rules(start: date, end: date, days: int) -> None:
    """30/360 US (SIA) month-end rules, each case counted by hand."""
    assert day_count(start, end, "30/360") == days


def test_actual_conventions_count_calendar_days() -> None:
    """Jan 15 to Mar 15, 2024 is 31 + 29 = 60 calendar days (leap February)."""
    start, end = date(2024, 1, 15), date(2024, 3, 15)
    assert day_count(start, end, "actual/360") == 60
    assert day_count(start, end, "actual/365") == 60
    assert year_fraction(start, end, "actual/360") == 60 / 360
    assert year_fraction(start, end, "actual/365") == 60 / 365
    assert year_fraction(start, end, "30/360") == 60 / 360


def test_unknown_convention_lists_the_valid_ones() -> None:
    """A typo in the convention says which names exist."""
    with pytest.raises(FinanceInputError, match="actual/365") as caught:
        day_count(date(2024, 1, 1), date(2024, 2, 1), "act/act")
    assert caught.value.field == "day_count"


def test_end_before_start_is_refused() -> None:
    """Negative interest periods are a mistake in the dates."""
    with pytest.raises(FinanceInputError):
        day_count(date(2024, 2, 1), date(2024, 1, 1), "30/360")


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2024, 1, 31), 3, date(2024, 4, 30)),
        (date(2024, 11, 15), 2, date(2025, 1, 15)),
        (date(2024, 5, 10), 0, date(2024, 5, 10)),
    ],
)
def test_add_months_clamps_to_month_end(start: date, months: int, expected: date) -> None:
    """Payment dates keep the day of month, or the month's last day when it is shorter."""
    assert add_months(start, months) == expected
