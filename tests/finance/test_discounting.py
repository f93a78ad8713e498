"""Multistage DDM and FCFE models: published example, closed-form identities, input errors."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evergreen.finance import discounting as dcf
from evergreen.finance.errors import FinanceInputError


def test_bugg_properties_ddm() -> None:
    """Pinto et al., Equity Asset Valuation, Bugg Properties: 1.00/1.25/12.25 at 10% -> 11.15."""
    res = dcf.dividend_discount([1.00, 1.25, 12.25], 0.10)
    assert round(res.value, 2) == 11.15
    assert res.present_values == pytest.approx([0.9091, 1.0331, 9.2036], abs=5e-5)
    assert res.terminal_method == "none"
    assert res.pv_terminal_value == 0.0


def test_gordon_growth_by_hand() -> None:
    """Independent arithmetic: D1 = 2.10, r = 10%, g = 5% -> 2.10 / 0.05 = 42."""
    assert dcf.gordon_growth_value(2.10, 0.10, 0.05) == pytest.approx(42.0)


def test_two_stage_ddm_by_hand() -> None:
    """Independent derivation: 1.00, 1.20 then 4% growth at 11%: P_2 = 1.248 / 0.07."""
    res = dcf.dividend_discount([1.00, 1.20], 0.11, terminal_growth=0.04)
    terminal = 1.20 * 1.04 / 0.07
    assert res.terminal_value == pytest.approx(terminal)
    assert res.value == pytest.approx(1.00 / 1.11 + (1.20 + terminal) / 1.11**2)
    assert sum(amount for _, amount in res.bridge()) == res.value
    json.dumps(res.to_dict(), allow_nan=False)


def test_terminal_price_is_discounted_from_the_horizon() -> None:
    """Independent derivation: a sale price at T is worth P_T/(1+r)^T today."""
    res = dcf.dividend_discount([0.5, 0.5, 0.5], 0.08, terminal_price=20.0)
    assert res.pv_terminal_value == pytest.approx(20.0 / 1.08**3)
    assert res.horizon == 3


growths = st.floats(-0.05, 0.08)


@given(st.floats(0.1, 10.0), growths, st.floats(0.005, 0.15), st.integers(1, 15))
def test_growing_stream_split_anywhere_is_gordon(
    first: float, g: float, spread: float, years: int
) -> None:
    """D_t = D_1(1+g)^(t-1) forever: explicit years + Gordon terminal = D_1/(r - g) for any T."""
    r = g + spread
    stream = [first * (1.0 + g) ** t for t in range(years)]
    whole = dcf.gordon_growth_value(first, r, g)
    assert dcf.dividend_discount(stream, r, terminal_growth=g).value == pytest.approx(whole)
    fcfe = dcf.free_cash_flow_to_equity(stream, r, terminal_growth=g)
    assert fcfe.value == pytest.approx(whole)
    assert fcfe.model == "free_cash_flow_to_equity"


@given(
    st.lists(st.floats(0.0, 50.0), min_size=1, max_size=10),
    st.floats(-0.5, 0.5),
)
def test_fcfe_equals_ddm_when_all_fcfe_is_paid_out(flows: list[float], r: float) -> None:
    """When dividends equal FCFE each year the two models are the same sum of PVs."""
    ddm = dcf.dividend_discount(flows, r)
    fcfe = dcf.free_cash_flow_to_equity(flows, r)
    assert fcfe.value == pytest.approx(ddm.value, rel=1e-12, abs=1e-12)


def test_fcfe_allows_negative_interim_years() -> None:
    """Independent derivation: FCFE may be negative in a build-out year."""
    res = dcf.free_cash_flow_to_equity([-2.0, 3.0], 0.10, terminal_growth=0.02)
    assert res.value == pytest.approx(-2.0 / 1.1 + (3.0 + 3.0 * 1.02 / 0.08) / 1.21)


@pytest.mark.parametrize(
    ("field", "call"),
    [
        ("cost_of_equity", lambda: dcf.dividend_discount([1.0], 0.05, terminal_growth=0.05)),
        ("cost_of_equity", lambda: dcf.dividend_discount([1.0], 0.05, terminal_growth=0.09)),
        ("cost_of_equity", lambda: dcf.dividend_discount([1.0], -1.0)),
        ("terminal_growth", lambda: dcf.dividend_discount([1.0], 0.1, terminal_growth=-1.0)),
        ("terminal_price", lambda: dcf.dividend_discount([1.0], 0.1, terminal_price=-3.0)),
        (
            "terminal_price",
            lambda: dcf.dividend_discount([1.0], 0.1, terminal_price=3.0, terminal_growth=0.02),
        ),
        ("dividends", lambda: dcf.dividend_discount([1.0, -0.5], 0.1)),
        ("dividends", lambda: dcf.dividend_discount([], 0.1)),
        ("dividends[0]", lambda: dcf.dividend_discount([float("nan")], 0.1)),
        ("fcfe", lambda: dcf.free_cash_flow_to_equity([2.0, -1.0], 0.1, terminal_growth=0.02)),
        ("cost_of_equity", lambda: dcf.gordon_growth_value(1.0, 0.03, 0.04)),
        ("cost_of_equity", lambda: dcf.discount_factors(1e-300 - 1.0, 3)),
    ],
)
def test_bad_input_names_the_field(field: str, call: object) -> None:
    """r <= g, r <= -1, negative dividends or prices and a negative last FCFE are refused."""
    assert callable(call)
    with pytest.raises(FinanceInputError) as info:
        call()
    assert info.value.field == field
