"""The value bridge of a stream (pure rules, no database): one stage equals `value_of`, a
multistage forecast equals the finance area's residual income model, and the steps add up."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evergreen.finance.residual_income import value as finance_value
from evergreen.ledger.errors import LedgerInputError
from evergreen.ledger.rules import value_of
from evergreen.ledger.rules.value import (
    MAX_FORECAST_YEARS,
    multistage_bridge,
    parse_forecast,
    parse_signed,
    single_stage_bridge,
)

D = Decimal
money = st.decimals(min_value=-100_000, max_value=100_000, places=2, allow_nan=False)
rates = st.decimals(min_value=0, max_value=1, places=3, allow_nan=False)
# The finance model pays no dividend out of a loss, so the cross-check keeps earnings >= 0.
gains = st.decimals(min_value=0, max_value=100_000, places=2, allow_nan=False)


@given(capital=money, ri=money, r=rates, omega=rates)
def test_one_stage_bridge_is_value_of(
    capital: Decimal, ri: Decimal, r: Decimal, omega: Decimal
) -> None:
    if 1 + r - omega <= 0:
        return
    bridge = single_stage_bridge(capital, ri, r, omega)
    assert abs(bridge.value - value_of(capital, ri, r, omega)) < D("1e-18")
    assert abs(sum(amount for _label, amount in bridge.steps()) - bridge.value) < D("1e-18")
    # Year 1 is RI1 discounted one year; what continues is the ω share of it, valued at year 1.
    assert bridge.years[0].present_value == ri / (1 + r)
    assert bridge.continuing_residual_income == omega * ri


def test_with_no_persistence_the_value_is_capital_plus_one_discounted_year() -> None:
    bridge = single_stage_bridge(D(5000), D(1100), D("0.10"), D(0))
    assert bridge.value == D(6000)
    assert bridge.continuing_present_value == 0


def test_a_worked_multistage_example() -> None:
    # capital 1000; RI 100 then 121; from year 3 RI 133.1 fading at ω = 0.5; r = 10 %.
    bridge = multistage_bridge(D(1000), [D(100), D("121")], D("133.1"), D("0.1"), D("0.5"))
    assert [y.present_value for y in bridge.years] == [
        D(100) / D("1.1"),
        D(121) / D("1.1") / D("1.1"),
    ]
    assert bridge.continuing_value == D("133.1") / D("0.6")
    expected = D(1000) + D(100) / D("1.1") + D(100) + D("133.1") / D("0.6") / D("1.21")
    assert abs(bridge.value - expected) < D("1e-20")
    assert [label for label, _amount in bridge.steps()] == [
        "Capital",
        "Year 1 RI (PV)",
        "Year 2 RI (PV)",
        "Continuing value (PV)",
    ]


@given(
    capital=st.decimals(min_value=1, max_value=100_000, places=2),
    years=st.lists(gains, min_size=1, max_size=8),
    continuing=gains,
    r=st.decimals(min_value=D("0.01"), max_value=D("0.5"), places=3),
    omega=rates,
)
def test_multistage_equals_the_finance_areas_model(
    capital: Decimal, years: list[Decimal], continuing: Decimal, r: Decimal, omega: Decimal
) -> None:
    """Independent check: finance's CFA model with full payout (book stays at capital), so its
    earnings are RI + r x capital, and its continuing RI opens at the last forecast year."""
    ours = multistage_bridge(capital, years, continuing, r, omega)
    ri = [float(y) for y in [*years, continuing]]
    earnings = [x + float(r) * float(capital) for x in ri]
    theirs = finance_value(
        float(capital),
        float(r),
        earnings=earnings,
        dividends=earnings,
        continuing="persistence",
        persistence=float(omega),
    )
    assert math.isclose(float(ours.value), theirs.value, rel_tol=1e-9, abs_tol=1e-6)


def test_a_blank_continuing_ri_is_persistence_times_the_last_year() -> None:
    bridge = multistage_bridge(D(0), [D(100), D(200)], None, D("0.08"), D("0.6"))
    assert bridge.continuing_residual_income == D("120.0")


@pytest.mark.parametrize(
    ("explicit", "r", "omega", "field"),
    [
        ([], D("0.1"), D("0.5"), "forecast"),
        ([D(1)] * (MAX_FORECAST_YEARS + 1), D("0.1"), D("0.5"), "forecast"),
        ([D(1)], D("0.1"), D("1.5"), "persistence"),
        ([D(1)], D(0), D(1), "persistence"),  # 1 + r - ω = 0: nothing to divide by
        ([D(1)], D(-1), D(0), "required_return"),
    ],
)
def test_refused_inputs_name_their_field(
    explicit: list[Decimal], r: Decimal, omega: Decimal, field: str
) -> None:
    with pytest.raises(LedgerInputError) as refused:
        multistage_bridge(D(0), explicit, None, r, omega)
    assert refused.value.field == field


def test_a_forecast_is_read_as_typed() -> None:
    assert parse_forecast("1200, 1500;1800  -50 0") == [D(1200), D(1500), D(1800), D(-50), D(0)]
    assert parse_signed("0.00", "continuing") == 0
    assert parse_signed("-12.5", "continuing") == D("-12.5")
    assert str(parse_signed("-0", "continuing")) == "0"  # a year of nothing, not minus nothing


@pytest.mark.parametrize(
    ("text", "how"),
    [("0e5", "an exponent"), ("-0E-2", "an exponent"), ("0_0", "an underscore"),
     ("0_0.0", "an underscore")],
)  # fmt: skip
def test_a_zero_written_as_python_writes_it_is_refused_as_any_other_number(
    text: str, how: str
) -> None:
    """0e5 and 0_0 were read as a year of nothing, though 1e3 and 1_000 are refused."""
    for read in (lambda: parse_signed(text, "forecast"), lambda: parse_forecast(f"1200, {text}")):
        with pytest.raises(LedgerInputError) as refused:
            read()
        assert refused.value.field == "forecast"
        assert refused.value.message == (
            f"{text!r} has {how}; write it as plain digits with at most one point, e.g. 1000.00"
        )


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "is empty"),
        ("  , ", "is empty"),
        ("100, abc", "'abc' is not a number"),
        (", ".join(["1"] * 31), "at most 30"),
        ("1" * 20, "too many digits"),
        ("1e3", "'1e3' has an exponent; write it as plain digits"),
        ("NaN", "finite"),
    ],
)
def test_a_bad_forecast_says_what_to_fix(text: str, words: str) -> None:
    with pytest.raises(LedgerInputError) as refused:
        parse_forecast(text)
    assert refused.value.field == "forecast"
    assert words in refused.value.message
