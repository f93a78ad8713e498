"""Plan-change and period-pricing rules without a database: upgrade or downgrade by the monthly
amount, proration by the seconds left (half up, never negative, a month to a year), coupon
durations (once, repeating N, forever) and a period's discount and tax, and the MRR facts of a
plan change, a family move, a discount ending and a revival after a delinquent end."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.rules.billing import is_upgrade, period_bounds, prorate
from evergreen.commerce.rules.cart import TaxTerms
from evergreen.commerce.rules.mrr import Fact, mrr_view, to_events
from evergreen.commerce.rules.plans import (
    CouponHold,
    check_duration,
    coupon_periods,
    discount_applies,
    period_price,
)

START = datetime(2026, 4, 1, tzinfo=UTC)  # April: 30 days
END = datetime(2026, 5, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("old", "old_interval", "new", "new_interval", "upgrade"),
    [
        (1000, "month", 2000, "month", True),
        (2000, "month", 1000, "month", False),
        (1000, "month", 1000, "month", False),  # the same MRR: not an upgrade
        (1000, "month", 10000, "year", False),  # 8.33 a month is less
        (1000, "month", 12001, "year", True),  # 10.0008 a month is more
        (12000, "year", 1000, "month", False),  # the same 10 a month
    ],
)
def test_an_upgrade_raises_the_monthly_amount(
    old: int, old_interval: str, new: int, new_interval: str, upgrade: bool
) -> None:
    assert is_upgrade(old, old_interval, new, new_interval) is upgrade


def test_proration_charges_the_difference_for_the_seconds_left_rounded_half_up() -> None:
    half = START + timedelta(days=15)  # half of April left
    assert prorate(1000, "month", 2000, "month", (START, END), half, "USD") == 500
    assert prorate(1000, "month", 2000, "month", (START, END), START, "USD") == 1000  # all of it
    third = START + timedelta(days=20)  # 10 of 30 days left: 333.33… → 333
    assert prorate(1000, "month", 2000, "month", (START, END), third, "USD") == 333
    two_thirds = START + timedelta(days=10)  # 666.66… → 667 (half up)
    assert prorate(1000, "month", 2000, "month", (START, END), two_thirds, "USD") == 667
    assert prorate(2000, "month", 1000, "month", (START, END), half, "USD") == 0  # never negative


def test_a_month_to_a_year_prorates_each_plan_at_its_own_rate() -> None:
    half = START + timedelta(days=15)
    year = (datetime(2027, 4, 1, tzinfo=UTC) - START).total_seconds()  # 365 days
    left = (END - half).total_seconds()
    expected = Decimal(24000) * Decimal(left) / Decimal(year) - Decimal(500)
    assert prorate(1000, "month", 24000, "year", (START, END), half, "USD") == round(expected)
    assert prorate(1000, "month", 24000, "year", (START, END), half, "USD") == 486  # 986.30 - 500


def test_a_change_outside_the_period_is_refused() -> None:
    with pytest.raises(CommerceInputError) as refused:
        prorate(1000, "month", 2000, "month", (START, END), END, "USD")
    assert refused.value.field == "period"


@given(
    st.integers(0, 10**7),
    st.integers(0, 10**7),
    st.integers(0, 30 * 86400 - 1),
)
def test_proration_is_never_more_than_the_whole_difference(old: int, new: int, gone: int) -> None:
    owed = prorate(old, "month", new, "month", (START, END), START + timedelta(seconds=gone), "USD")
    assert 0 <= owed <= max(0, new - old)


@pytest.mark.parametrize(
    ("duration", "periods", "expected"),
    [("once", None, 1), ("repeating", 3, 3), ("forever", None, None), ("", None, 1)],
)
def test_coupon_durations_count_periods_from_the_first(
    duration: str, periods: int | None, expected: int | None
) -> None:
    assert coupon_periods(duration, periods) == expected


@pytest.mark.parametrize(
    ("duration", "periods", "field"),
    [("weekly", None, "duration"), ("repeating", None, "duration_periods"),
     ("repeating", 0, "duration_periods"), ("repeating", 121, "duration_periods")],
)  # fmt: skip
def test_a_bad_duration_is_refused_by_its_field(
    duration: str, periods: int | None, field: str
) -> None:
    with pytest.raises(CommerceInputError) as refused:
        check_duration(duration, periods)
    assert refused.value.field == field


def test_a_coupon_discounts_its_periods_then_the_full_price() -> None:
    once = CouponHold(Decimal("20"), None, 1)
    three = CouponHold(None, 300, 3)
    forever = CouponHold(Decimal("50"), None, None)
    assert [discount_applies(once, n) for n in (1, 2)] == [True, False]
    assert [period_price(1000, n, three, None, "USD").net for n in (1, 3, 4)] == [700, 700, 1000]
    assert period_price(1000, 99, forever, None, "USD").net == 500
    assert period_price(1000, 1, None, None, "USD").net == 1000
    assert period_price(200, 1, three, None, "USD").total == 0  # never below nothing


def test_a_period_is_taxed_after_its_discount() -> None:
    hold = CouponHold(Decimal("10"), None, None)
    added = period_price(1000, 2, hold, TaxTerms(Decimal("20")), "USD")
    assert (added.discount, added.tax, added.total, added.net) == (100, 180, 1080, 900)
    inside = period_price(1190, 1, None, TaxTerms(Decimal("19"), inclusive=True), "USD")
    assert (inside.tax, inside.total) == (190, 1190)
    odd = period_price(999, 1, None, TaxTerms(Decimal("7.5")), "USD")
    assert odd.tax == 75  # 74.925 → 75, half up


def _fact(kind: str, at: datetime, cents: int, interval: str = "month", sub: int = 1,
          product: str = "Club") -> Fact:  # fmt: skip
    return Fact(sub, "bea@example.com", product, "EUR", kind, at, cents, interval)


def _month(facts: list[Fact], first: date, last: date) -> dict[str, Decimal]:
    view = mrr_view("EUR", to_events(facts)["EUR"], first, last)
    month = view.months[-1]
    return {k: getattr(month, k) for k in ("expansion", "contraction", "reactivation", "closing")}


def test_plan_changes_are_expansion_and_contraction() -> None:
    t = datetime(2026, 1, 5, tzinfo=UTC)
    facts = [
        _fact("start", t, 1000),
        _fact("change", t + timedelta(days=40), 2000),  # February: upgrade
        _fact("change", t + timedelta(days=70), 12000, "year"),  # March: down to 10 a month
    ]
    feb = _month(facts, date(2026, 2, 1), date(2026, 2, 28))
    assert (feb["expansion"], feb["closing"]) == (Decimal(10), Decimal(20))
    march = _month(facts, date(2026, 3, 1), date(2026, 3, 31))
    assert (march["contraction"], march["closing"]) == (Decimal(-10), Decimal(10))


def test_a_move_to_another_product_of_the_family_is_expansion_not_churn() -> None:
    t = datetime(2026, 1, 5, tzinfo=UTC)
    later = t + timedelta(days=40)
    facts = [
        _fact("start", t, 1000),
        _fact("plan_from", later, 1000),
        _fact("plan_to", later, 24000, "year", product="Club yearly"),
    ]
    feb = _month(facts, date(2026, 2, 1), date(2026, 2, 28))
    assert (feb["expansion"], feb["closing"]) == (Decimal(10), Decimal(20))


def test_a_period_paid_after_a_delinquent_end_is_a_reactivation() -> None:
    t = datetime(2026, 1, 5, tzinfo=UTC)
    facts = [
        _fact("start", t, 1000),
        _fact("payment_failed", t + timedelta(days=31), 1000),
        _fact("delinquent", t + timedelta(days=38), 1000),
        _fact("reactivate", t + timedelta(days=45), 1000),
    ]
    feb = _month(facts, date(2026, 2, 1), date(2026, 2, 28))
    assert (feb["reactivation"], feb["closing"]) == (Decimal(10), Decimal(10))


def test_periods_after_a_new_anchor_count_from_it() -> None:
    anchor = datetime(2026, 3, 31, tzinfo=UTC)  # a monthly plan became yearly after period 3
    start, end = period_bounds(anchor, "year", 4 - 3)
    assert (start, end.date()) == (anchor, date(2027, 3, 31))
