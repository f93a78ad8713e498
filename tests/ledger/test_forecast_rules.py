"""A stored forecast's rules (pure, no database): what is refused names its field, and each way
RI continues is valued as the finance area's residual income model values it."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evergreen.finance.residual_income import value as finance_value
from evergreen.ledger.errors import LedgerInputError
from evergreen.ledger.rules.forecast import Continuing, check_forecast, forecast_bridge

D = Decimal
gains = st.decimals(min_value=0, max_value=100_000, places=2, allow_nan=False)
capitals = st.decimals(min_value=1, max_value=100_000, places=2)
returns = st.decimals(min_value=D("0.01"), max_value=D("0.5"), places=3)


def test_a_forecast_is_checked_and_kept_as_typed() -> None:
    plan = check_forecast(["1200", " 1500.5 ", "-80", "0"], "persistence", "0.6")
    assert plan.years == (D(1200), D("1500.5"), D(-80), D(0))
    assert plan.continuing is Continuing.PERSISTENCE
    assert plan.persistence == D("0.6")
    assert check_forecast([D(5)], " Perpetuity ", None).continuing is Continuing.PERPETUITY
    assert check_forecast(["5"], "none", "").persistence is None


@pytest.mark.parametrize(
    ("years", "continuing", "persistence", "field", "words"),
    [
        ([], "none", None, "years", "is empty"),
        (["1"] * 31, "none", None, "years", "at most 30"),
        (["100", "200", "lots"], "none", None, "years[2]", "'lots' is not a number"),
        (["100", " ", "300"], "none", None, "years[1]", "is empty"),
        (["NaN"], "none", None, "years[0]", "finite"),
        (["Infinity"], "none", None, "years[0]", "finite"),
        (["1" + "0" * 40], "none", None, "years[0]", "too many digits"),
        (["1e40"], "none", None, "years[0]", "'1e40' has an exponent; write it as plain digits"),
        (["1.00001"], "none", None, "years[0]", "too many digits"),
        (["-100000000000"], "none", None, "years[0]", "less than 100,000,000,000 a year"),
        (["1"], "forever", None, "continuing", "not a choice; use one of none, perpetuity"),
        (["1"], "persistence", None, "persistence", "is needed"),
        (["1"], "persistence", "1.5", "persistence", "between 0 and 1"),
        (["1"], "none", "0.5", "persistence", "only applies"),
        (["1"], "perpetuity", "0.5", "persistence", "only applies"),
    ],
)
def test_a_refusal_names_the_field_to_fix(
    years: list[str], continuing: str, persistence: str | None, field: str, words: str
) -> None:
    with pytest.raises(LedgerInputError) as refused:
        check_forecast(years, continuing, persistence)
    assert refused.value.field == field
    assert words in refused.value.message


def _finance(
    capital: Decimal, ri: list[Decimal], r: Decimal, continuing: str, omega: float | None
) -> float:
    """finance's CFA model with full payout (book stays at capital): earnings = RI + r x B."""
    earnings = [float(x) + float(r) * float(capital) for x in ri]
    kwargs = {"persistence": omega} if continuing == "persistence" else {}
    return finance_value(float(capital), float(r), earnings=earnings, dividends=earnings,
                         continuing=continuing, **kwargs).value  # type: ignore[arg-type]  # fmt: skip


@given(capital=capitals, years=st.lists(gains, min_size=1, max_size=8), r=returns)
def test_none_stops_after_the_last_year(capital: Decimal, years: list[Decimal], r: Decimal) -> None:
    bridge = forecast_bridge(check_forecast(years, "none", None), capital, r)
    assert bridge.continuing_present_value == 0
    expected = _finance(capital, years, r, "none", None)
    assert math.isclose(float(bridge.value), expected, rel_tol=1e-9, abs_tol=1e-6)


@given(capital=capitals, years=st.lists(gains, min_size=1, max_size=8), r=returns)
def test_perpetuity_keeps_the_last_years_ri_forever(
    capital: Decimal, years: list[Decimal], r: Decimal
) -> None:
    bridge = forecast_bridge(check_forecast(years, "perpetuity", None), capital, r)
    assert bridge.continuing_value == years[-1] / r
    expected = _finance(capital, years, r, "perpetuity", None)
    assert math.isclose(float(bridge.value), expected, rel_tol=1e-9, abs_tol=1e-6)


@given(
    capital=capitals,
    years=st.lists(gains, min_size=1, max_size=8),
    r=returns,
    omega=st.decimals(min_value=0, max_value=1, places=3),
)
def test_persistence_fades_the_last_years_ri_by_omega(
    capital: Decimal, years: list[Decimal], r: Decimal, omega: Decimal
) -> None:
    bridge = forecast_bridge(check_forecast(years, "persistence", omega), capital, r)
    assert bridge.continuing_residual_income == omega * years[-1]
    expected = _finance(capital, years, r, "persistence", float(omega))
    assert math.isclose(float(bridge.value), expected, rel_tol=1e-9, abs_tol=1e-6)


def test_a_worked_example_by_hand() -> None:
    # Capital 1000, RI 110 then 121 at r = 10 %: 100 + 100 of PV; then 121 x 0.5 a year on.
    plan = check_forecast(["110", "121"], "persistence", "0.5")
    bridge = forecast_bridge(plan, D(1000), D("0.1"))
    assert [y.present_value for y in bridge.years] == [D(100), D(100)]
    assert bridge.continuing_value == D("60.5") / D("0.6")
    assert abs(bridge.value - (D(1200) + D("60.5") / D("0.6") / D("1.21"))) < D("1e-20")


def test_ri_forever_needs_a_required_return_above_0() -> None:
    with pytest.raises(LedgerInputError) as refused:
        forecast_bridge(check_forecast(["100"], "perpetuity", None), D(0), D(0))
    assert refused.value.field == "continuing"
    assert "required return above 0" in refused.value.message
    # Stopping after the forecast needs no return: it is the sum of the years.
    assert forecast_bridge(check_forecast(["100", "50"], "none", None), D(10), D(0)).value == 160
