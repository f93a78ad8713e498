"""The home page's pure rules: the periods it offers, the months they fall into, and the
passive share (no database)."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evergreen.ledger.errors import LedgerInputError
from evergreen.ledger.rules.passive import passive_share
from evergreen.ledger.rules.periods import (
    PeriodChoice,
    choose_period,
    month_end,
    months_between,
    months_ending,
    same_days_last_month,
)

D = Decimal


@pytest.mark.parametrize(
    ("choice", "today", "start", "end"),
    [
        ("", date(2026, 12, 7), date(2025, 12, 8), date(2026, 12, 7)),  # trailing 12 months
        ("", date(2026, 1, 1), date(2025, 1, 2), date(2026, 1, 1)),
        ("this_month", date(2026, 3, 14), date(2026, 3, 1), date(2026, 3, 14)),
        ("this_month", date(2026, 3, 1), date(2026, 3, 1), date(2026, 3, 1)),
        ("last_month", date(2026, 3, 14), date(2026, 2, 1), date(2026, 2, 28)),
        ("last_month", date(2026, 1, 31), date(2025, 12, 1), date(2025, 12, 31)),
        ("last_month", date(2024, 3, 31), date(2024, 2, 1), date(2024, 2, 29)),
        ("year_to_date", date(2026, 3, 14), date(2026, 1, 1), date(2026, 3, 14)),
        ("trailing_12_months", date(2026, 3, 14), date(2025, 3, 15), date(2026, 3, 14)),
    ],
)
def test_each_period_runs_over_the_days_its_name_says(
    choice: str, today: date, start: date, end: date
) -> None:
    period = choose_period(choice, today)
    assert (period.start, period.end) == (start, end)


def test_a_custom_period_is_two_days_the_owner_types() -> None:
    period = choose_period("custom", date(2026, 3, 14), " 2025-07-01 ", "2025-09-30")
    assert period.choice is PeriodChoice.CUSTOM
    assert (period.start, period.end) == (date(2025, 7, 1), date(2025, 9, 30))
    assert choose_period("custom", date(2026, 3, 14), "2025-07-01", "2025-07-01").end == date(
        2025, 7, 1
    )


@pytest.mark.parametrize(
    ("choice", "start", "end", "field"),
    [
        ("weekly", "", "", "period"),
        ("custom", "", "2026-01-01", "from"),
        ("custom", "2026-01-01", "", "to"),
        ("custom", "2026-02-30", "2026-03-01", "from"),
        ("custom", "2026-03-02", "2026-03-01", "to"),
        ("custom", "1899-12-31", "1900-01-31", "from"),
        ("custom", "2999-12-01", "3000-01-01", "to"),
        ("custom", "2010-01-01", "2020-01-02", "to"),  # 3654 days: over ten years
    ],
)
def test_a_period_that_cannot_be_is_refused_naming_its_field(
    choice: str, start: str, end: str, field: str
) -> None:
    with pytest.raises(LedgerInputError) as refused:
        choose_period(choice, date(2026, 3, 14), start, end)
    assert refused.value.field == field


def test_the_longest_custom_period_is_ten_years() -> None:
    period = choose_period("custom", date(2026, 3, 14), "2010-01-01", "2020-01-01")
    assert (period.end - period.start).days + 1 == 3653


@given(st.dates(date(1900, 1, 1), date(2999, 1, 1)), st.integers(0, 800))
def test_the_months_of_a_period_cover_it_day_for_day(start: date, length: int) -> None:
    end = date.fromordinal(min(start.toordinal() + length, date(2999, 12, 31).toordinal()))
    months = months_between(start, end)
    assert months[0][0] == start
    assert months[-1][1] == end
    for (first, last), (following, _) in itertools.pairwise(months):
        assert last == month_end(first)
        assert following.toordinal() == last.toordinal() + 1
    assert sum((last - first).days + 1 for first, last in months) == (end - start).days + 1


def test_the_trend_months_end_with_this_month_so_far() -> None:
    months = months_ending(date(2026, 3, 14), 12)
    assert months[0] == (date(2025, 4, 1), date(2025, 4, 30))
    assert months[-2] == (date(2026, 2, 1), date(2026, 2, 28))
    assert months[-1] == (date(2026, 3, 1), date(2026, 3, 14))
    assert len(months) == 12


@pytest.mark.parametrize(
    ("today", "before"),
    [
        (date(2026, 3, 14), (date(2026, 2, 1), date(2026, 2, 14))),
        (date(2026, 3, 31), (date(2026, 2, 1), date(2026, 2, 28))),  # February is shorter
        (date(2026, 1, 1), (date(2025, 12, 1), date(2025, 12, 1))),
    ],
)
def test_this_month_so_far_is_compared_with_the_same_days_last_month(
    today: date, before: tuple[date, date]
) -> None:
    assert same_days_last_month(today) == before


def test_income_is_passive_in_a_month_its_stream_took_under_the_threshold() -> None:
    months = [
        [(D(1000), D(2)), (D(500), D(12))],  # the blog passive, the course not
        [(D(800), D(5)), (D(700), D("4.99"))],  # exactly 5 h is not under 5
    ]
    share = passive_share(months, D(5))
    assert share.passive_income == D(1700)
    assert share.income == D(3000)
    assert share.share == D(1700) / D(3000)


def test_without_income_there_is_no_share() -> None:
    assert passive_share([], D(5)).share is None
    assert passive_share([[(D(0), D(0))]], D(5)).share is None
