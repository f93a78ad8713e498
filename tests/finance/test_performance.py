"""Residual income and EVA as performance measures, against CFA worked examples."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evergreen.finance import discounting as dcf
from evergreen.finance import performance as perf
from evergreen.finance.errors import FinanceInputError


def test_axis_manufacturing_residual_income_and_eva() -> None:
    """Pinto et al., Equity Asset Valuation (3rd ed.), Axis Manufacturing Company (AXCI).

    Assets 2,000,000, half debt at 7% pre-tax, half equity at 12%, EBIT 200,000, tax 30%:
    net income 91,000, equity charge 120,000, RI -29,000; NOPAT 140,000, WACC 8.45%,
    capital charge 169,000, EVA -29,000.
    """
    net_income = (200_000 - 0.07 * 1_000_000) * (1 - 0.30)
    assert net_income == pytest.approx(91_000)
    assert perf.equity_residual_income(net_income, 1_000_000, 0.12) == pytest.approx(-29_000)
    assert perf.after_tax_cost_of_debt(0.07, 0.30) == pytest.approx(0.049)
    operating = perf.nopat(200_000, 0.30)
    assert operating == pytest.approx(140_000)
    rate = perf.wacc(
        equity_weight=0.5,
        cost_of_equity=0.12,
        debt_weight=0.5,
        pre_tax_cost_of_debt=0.07,
        tax_rate=0.30,
    )
    assert rate == pytest.approx(0.0845)
    assert perf.economic_value_added(operating, 2_000_000, rate) == pytest.approx(-29_000)


def test_madeira_fruit_suppliers_residual_income() -> None:
    """CFA Level II residual income reading, Madeira Fruit Suppliers: NI 80.52m, equity 800m.

    Equity charge 12.3% x 800m = 98.4m, so RI = -17.88m despite an accounting profit.
    """
    assert perf.equity_residual_income(80_520_000, 800_000_000, 0.123) == pytest.approx(-17_880_000)


def test_wacc_with_preferred_by_hand() -> None:
    """Independent arithmetic: 60% equity at 11%, 30% debt at 6% (25% tax), 10% pref at 8%."""
    rate = perf.wacc(
        equity_weight=0.6,
        cost_of_equity=0.11,
        debt_weight=0.3,
        pre_tax_cost_of_debt=0.06,
        tax_rate=0.25,
        preferred_weight=0.1,
        cost_of_preferred=0.08,
    )
    assert rate == pytest.approx(0.066 + 0.0135 + 0.008)


def test_market_value_added() -> None:
    """MVA = market value of debt and equity - invested capital (CFA definition)."""
    assert perf.market_value_added(1_500.0, 1_100.0) == pytest.approx(400.0)
    assert perf.market_value_added_from_eva([10.0, 10.0], 0.10, terminal_growth=0.0) == (
        pytest.approx(100.0)
    )


@st.composite
def plans(draw: st.DrawFn) -> tuple[float, float, list[float], list[float]]:
    """Opening capital, WACC, NOPAT per year and capital at each year end."""
    years = draw(st.integers(1, 8))
    nopats = draw(st.lists(st.floats(-20.0, 60.0), min_size=years, max_size=years))
    capital = draw(st.lists(st.floats(0.0, 500.0), min_size=years, max_size=years))
    return draw(st.floats(0.0, 500.0)), draw(st.floats(0.01, 0.25)), nopats, capital


@given(plans())
def test_capital_plus_pv_eva_equals_dcf_of_fcff(
    case: tuple[float, float, list[float], list[float]],
) -> None:
    """Independent identity: C0 + PV(EVA) = PV(FCFF) + PV(C_T), FCFF_t = NOPAT_t - (C_t - C_t-1)."""
    c0, rate, nopats, capital = case
    opening = [c0, *capital[:-1]]
    eva = [perf.economic_value_added(n, c, rate) for n, c in zip(nopats, opening, strict=True)]
    fcff = [n - (c - o) for n, c, o in zip(nopats, capital, opening, strict=True)]
    lhs = c0 + perf.market_value_added_from_eva(eva, rate)
    rhs = dcf.free_cash_flow_to_equity(fcff, rate).value + capital[-1] / (1 + rate) ** len(fcff)
    assert lhs == pytest.approx(rhs, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize(
    ("field", "call"),
    [
        ("tax_rate", lambda: perf.nopat(100.0, 1.0)),
        ("tax_rate", lambda: perf.after_tax_cost_of_debt(0.05, -0.1)),
        ("pre_tax_cost_of_debt", lambda: perf.after_tax_cost_of_debt(-1.0, 0.2)),
        ("capital", lambda: perf.economic_value_added(10.0, -5.0, 0.08)),
        ("wacc", lambda: perf.economic_value_added(10.0, 5.0, -1.2)),
        ("equity", lambda: perf.equity_residual_income(10.0, -5.0, 0.1)),
        ("net_income", lambda: perf.equity_residual_income(float("inf"), 5.0, 0.1)),
        ("invested_capital", lambda: perf.market_value_added(10.0, -1.0)),
        ("wacc", lambda: perf.market_value_added_from_eva([1.0], 0.05, terminal_growth=0.06)),
        ("eva", lambda: perf.market_value_added_from_eva([], 0.05)),
        (
            "equity_weight",
            lambda: perf.wacc(
                equity_weight=0.7,
                cost_of_equity=0.1,
                debt_weight=0.4,
                pre_tax_cost_of_debt=0.05,
                tax_rate=0.2,
            ),
        ),
        (
            "debt_weight",
            lambda: perf.wacc(
                equity_weight=0.9,
                cost_of_equity=0.1,
                debt_weight=-0.2,
                pre_tax_cost_of_debt=0.05,
                tax_rate=0.2,
            ),
        ),
    ],
)
def test_bad_input_names_the_field(field: str, call: object) -> None:
    """Out-of-range tax rates, weights and negative capital are refused by name."""
    assert callable(call)
    with pytest.raises(FinanceInputError) as info:
        call()
    assert info.value.field == field
