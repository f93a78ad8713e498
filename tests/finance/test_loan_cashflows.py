"""IRR, NPV, XIRR and XNPV against published examples and recovery properties."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evergreen.finance.cashflows import irr, npv, xirr, xnpv
from evergreen.finance.errors import FinanceInputError

EXCEL_FLOWS = [
    (date(2008, 1, 1), -10_000.0),
    (date(2008, 3, 1), 2_750.0),
    (date(2008, 10, 30), 4_250.0),
    (date(2009, 2, 15), 3_250.0),
    (date(2009, 4, 1), 2_750.0),
]


def test_xirr_excel_documentation_example() -> None:
    """Microsoft's XIRR help page: these five flows return 0.373362535 (37.34%)."""
    assert xirr(EXCEL_FLOWS) == pytest.approx(0.373362535, abs=1e-8)


def test_xnpv_excel_documentation_example() -> None:
    """Microsoft's XNPV help page: the same flows at 9% are worth $2,086.65."""
    assert round(xnpv(0.09, EXCEL_FLOWS), 2) == 2086.65


def test_xirr_ignores_the_order_of_flows() -> None:
    """Dates, not list order, place a flow in time."""
    assert xirr(list(reversed(EXCEL_FLOWS))) == pytest.approx(xirr(EXCEL_FLOWS), rel=1e-12)


@pytest.mark.parametrize(
    ("flows", "expected"),
    [
        ([-100, 39, 59, 55, 20], 0.28095),
        ([-100, 0, 0, 74], -0.0955),
        ([-100, 100, 0, -7], -0.0833),
        ([-100, 100, 0, 7], 0.06206),
        ([-5, 10.5, 1, -8, 1], 0.0886),
    ],
)
def test_irr_numpy_financial_examples(flows: list[float], expected: float) -> None:
    """numpy-financial ``irr`` docs, including flows that change sign more than once."""
    assert round(irr(flows), 5) == expected


def test_npv_numpy_financial_example() -> None:
    """numpy-financial ``npv`` docs: npv(0.281, [-100, 39, 59, 55, 20]) = -0.0084785916384548798."""
    assert npv(0.281, [-100, 39, 59, 55, 20]) == pytest.approx(-0.0084785916384548798, rel=1e-9)


@given(
    st.floats(min_value=-0.5, max_value=2.0),
    st.lists(st.floats(min_value=1.0, max_value=1e6), min_size=1, max_size=120),
)
def test_irr_recovers_the_rate_of_a_zero_npv_flow_set(rate: float, inflows: list[float]) -> None:
    """Price the inflows at a rate, pay that price up front: IRR gives the rate back."""
    price = math.fsum(cf / (1 + rate) ** t for t, cf in enumerate(inflows, start=1))
    assert irr([-price, *inflows]) == pytest.approx(rate, rel=1e-7, abs=1e-9)


@given(
    st.floats(min_value=-0.5, max_value=3.0),
    st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=3650), st.floats(min_value=1.0, max_value=1e6)
        ),
        min_size=1,
        max_size=40,
    ),
)
def test_xirr_recovers_the_rate_of_a_zero_xnpv_flow_set(
    rate: float, inflows: list[tuple[int, float]]
) -> None:
    """Same identity on dated flows discounted on actual/365 years."""
    start = date(2020, 1, 1)
    price = math.fsum(cf / (1 + rate) ** (days / 365) for days, cf in inflows)
    flows = [(start, -price)] + [(start + timedelta(days=days), cf) for days, cf in inflows]
    assert xirr(flows) == pytest.approx(rate, rel=1e-7, abs=1e-9)


def test_irr_survives_long_flow_sets() -> None:
    """Fifty years of monthly flows: no overflow while scanning extreme rates."""
    flows = [-100_000.0] + [1_000.0] * 599 + [101_000.0]
    assert irr(flows) == pytest.approx(0.01, rel=1e-10)


@pytest.mark.parametrize(
    ("flows", "words"),
    [
        ([100.0, 50.0], "no sign change"),
        ([-100.0, -50.0], "no sign change"),
        ([0.0, 0.0, 0.0], "no sign change"),
        ([1.0, -1.0, 1.0], "no rate"),
        ([-1.0], "at least two"),
        ([-1.0, float("inf")], "finite"),
    ],
)
def test_flows_without_a_rate_are_refused(flows: list[float], words: str) -> None:
    """No rate exists: a clear error, not a NaN or a scipy traceback."""
    with pytest.raises(FinanceInputError, match=words):
        irr(flows)


def test_overflowing_present_values_are_refused() -> None:
    """At -99.99% over a thousand periods the PV is past float range: an error, never inf."""
    with pytest.raises(FinanceInputError, match="overflows"):
        npv(-0.9999, [1.0] * 1000)
    with pytest.raises(FinanceInputError, match="overflows"):
        xnpv(-0.9999, [(date(2000, 1, 1), 1.0), (date(2100, 1, 1), 1.0)])
    with pytest.raises(FinanceInputError, match="finite"):
        npv(0.05, [1.0, float("nan")])


def test_rates_at_or_below_minus_one_are_refused() -> None:
    """Discounting at -100% divides by zero; say so instead."""
    with pytest.raises(FinanceInputError, match="above -1"):
        npv(-1.0, [1.0, 2.0])
    with pytest.raises(FinanceInputError, match="above -1"):
        xnpv(-1.5, EXCEL_FLOWS)
