"""Closed-form loan maths: payment, balance and the lender's yield with points."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evergreen.finance.errors import FinanceInputError
from evergreen.finance.loans import balance, lender_yield, payment

principals = st.floats(min_value=1_000, max_value=5_000_000)
rates = st.floats(min_value=0.0, max_value=0.36)
terms = st.integers(min_value=1, max_value=480)


def _loop_balance(principal: float, annual_rate: float, months: int, after: int) -> float:
    """Reference: pay the level payment month by month, interest first."""
    level = payment(principal, annual_rate, months)
    owed = principal
    for _ in range(after):
        owed = owed * (1 + annual_rate / 12) - level
    return owed


def test_payment_30_year_mortgage_table_value() -> None:
    """Standard US mortgage tables: $200,000 at 6% over 30 years costs $1,199.10 a month."""
    assert round(payment(200_000, 0.06, 360), 2) == 1199.10


def test_payment_numpy_financial_example() -> None:
    """numpy-financial ``pmt`` docs: $200,000 at 7.5% over 15 years -> 1854.0247200054619."""
    assert payment(200_000, 0.075, 180) == pytest.approx(1854.0247200054619, rel=1e-12)


def test_payment_at_zero_rate_is_straight_line() -> None:
    """Without interest the principal is simply split evenly."""
    assert payment(12_000, 0.0, 12) == 1000.0


@given(principals, rates, terms)
def test_payments_discounted_at_the_note_rate_repay_the_principal(
    principal: float, annual_rate: float, months: int
) -> None:
    """Identity: the PV of the level payments at the loan rate is the principal."""
    level = payment(principal, annual_rate, months)
    pv = math.fsum(level / (1 + annual_rate / 12) ** t for t in range(1, months + 1))
    assert pv == pytest.approx(principal, rel=1e-9)


@given(principals, rates, terms, st.data())
def test_balance_matches_a_month_by_month_loop(
    principal: float, annual_rate: float, months: int, data: st.DataObject
) -> None:
    """Closed-form balance equals the loop that charges interest and subtracts the payment."""
    after = data.draw(st.integers(min_value=0, max_value=months))
    expected = _loop_balance(principal, annual_rate, months, after)
    assert balance(principal, annual_rate, months, after) == pytest.approx(
        expected, rel=1e-8, abs=1e-6 * principal
    )


def test_balance_ends() -> None:
    """Nothing paid leaves the principal; every payment made leaves exactly nothing."""
    assert balance(150_000, 0.07, 360, 0) == pytest.approx(150_000, rel=1e-15)
    assert balance(150_000, 0.07, 360, 360) == 0.0
    assert balance(12_000, 0.0, 12, 3) == 9000.0


def test_balance_after_five_years_by_hand() -> None:
    """B_60 = P((1+i)^360 - (1+i)^60) / ((1+i)^360 - 1) with i = 0.5%, worked separately."""
    i = 0.005
    expected = 200_000 * ((1 + i) ** 360 - (1 + i) ** 60) / ((1 + i) ** 360 - 1)
    assert balance(200_000, 0.06, 360, 60) == pytest.approx(expected, rel=1e-12)
    assert round(expected, 2) == 186108.71


def test_lender_yield_interest_only_with_two_points() -> None:
    """Brief's check: 100,000 at 12% interest-only for 3 months with 2 points yields ~20.27%."""
    assert round(lender_yield(100_000, 0.12, 3, points=2.0), 4) == 0.2027


def test_lender_yield_solves_the_lenders_flows() -> None:
    """Independent check: -98,000 then 1,000, 1,000, 101,000 discounted at yield/12 sum to 0."""
    monthly = lender_yield(100_000, 0.12, 3, points=2.0) / 12
    flows = [-98_000, 1_000, 1_000, 101_000]
    assert math.fsum(cf / (1 + monthly) ** t for t, cf in enumerate(flows)) == pytest.approx(
        0, abs=1e-6
    )


@given(principals, st.floats(min_value=0.001, max_value=0.3), st.integers(1, 60), st.data())
def test_without_points_the_yield_is_the_note_rate(
    principal: float, annual_rate: float, months: int, data: st.DataObject
) -> None:
    """A loan bought at par earns exactly its rate, interest-only or amortising."""
    amortization = data.draw(st.none() | st.integers(min_value=months, max_value=360))
    got = lender_yield(principal, annual_rate, months, amortization_months=amortization)
    assert got == pytest.approx(annual_rate, rel=1e-9)


@given(
    principals,
    st.floats(min_value=0.0, max_value=0.3),
    st.integers(1, 60),
    st.floats(min_value=0.0, max_value=10.0),
    st.data(),
)
def test_yield_with_points_makes_the_lenders_npv_zero(
    principal: float, annual_rate: float, months: int, points: float, data: st.DataObject
) -> None:
    """Property: the lender's flows, rebuilt by loop, have zero NPV at the quoted yield."""
    amortization = data.draw(st.none() | st.integers(min_value=months, max_value=360))
    got = lender_yield(principal, annual_rate, months, points, amortization)
    i = annual_rate / 12
    if amortization is None:
        flows = [principal * i] * months
    else:
        flows = [payment(principal, annual_rate, amortization)] * months
    flows[-1] += (
        principal
        if amortization is None
        else _loop_balance(principal, annual_rate, amortization, months)
    )
    npv = -principal * (1 - points / 100) + math.fsum(
        cf / (1 + got / 12) ** t for t, cf in enumerate(flows, start=1)
    )
    assert npv == pytest.approx(0, abs=1e-6 * principal)
    assert got >= annual_rate - 1e-12


def test_fewer_months_make_points_worth_more() -> None:
    """Points over a shorter loan lift the yield more: why rehab lenders charge them."""
    assert lender_yield(100_000, 0.12, 3, 2.0) > lender_yield(100_000, 0.12, 12, 2.0) > 0.12


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: payment(0, 0.05, 12), "principal"),
        (lambda: payment(1000, -0.01, 12), "annual_rate"),
        (lambda: payment(1000, 12.0, 12), "annual_rate"),
        (lambda: payment(1000, float("nan"), 12), "annual_rate"),
        (lambda: payment(1000, 0.05, 0), "amortization_months"),
        (lambda: payment(1000, 0.05, True), "amortization_months"),
        (lambda: payment(1000, 0.05, 1201), "amortization_months"),
        (lambda: payment(1e13, 0.05, 12), "principal"),
        (lambda: balance(1000, 0.05, 12, 13), "after_months"),
        (lambda: balance(1000, 0.05, 12, -1), "after_months"),
        (lambda: lender_yield(1000, 0.05, 12, points=100), "points"),
        (lambda: lender_yield(1000, 0.05, 12, points=-1), "points"),
        (lambda: lender_yield(1000, 0.05, 12, amortization_months=6), "amortization_months"),
    ],
)
def test_bad_input_names_the_field(call: Callable[[], object], field: str) -> None:
    """Every bad input is a FinanceInputError naming the field, never a crash or a NaN."""
    with pytest.raises(FinanceInputError) as caught:
        call()
    assert caught.value.field == field
