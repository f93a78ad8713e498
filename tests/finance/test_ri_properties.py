"""Identities residual income must satisfy for any forecast, checked with hypothesis."""

from __future__ import annotations

import json

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from evergreen.finance import discounting as dcf
from evergreen.finance.residual_income import multistage as ri

rates = st.floats(0.01, 0.30)
books = st.floats(1.0, 200.0)
shares = st.floats(0.0, 1.0)


@st.composite
def forecasts(draw: st.DrawFn) -> tuple[float, float, list[float], list[float]]:
    """B0, r, earnings and dividends paying out a share of each year's earnings."""
    years = draw(st.integers(1, 8))
    earnings = draw(st.lists(st.floats(0.0, 20.0), min_size=years, max_size=years))
    payouts = draw(st.lists(shares, min_size=years, max_size=years))
    return (
        draw(books),
        draw(rates),
        earnings,
        [e * p for e, p in zip(earnings, payouts, strict=True)],
    )


@given(forecasts())
def test_ri_equals_ddm_when_book_is_liquidated(
    case: tuple[float, float, list[float], list[float]],
) -> None:
    """Clean surplus + a final dividend of all remaining book (B_T = 0): RI value = DDM value."""
    b0, r, earnings, dividends = case
    book = b0 + sum(earnings[:-1]) - sum(dividends[:-1])
    dividends = [*dividends[:-1], book + earnings[-1]]
    res = ri.value(b0, r, earnings=earnings, dividends=dividends)
    assert res.book_value[-1] == pytest.approx(0.0, abs=1e-9)
    assert res.value == pytest.approx(dcf.dividend_discount(dividends, r).value, rel=1e-9)


@given(forecasts(), st.floats(0.0, 5.0))
def test_ri_with_price_to_book_equals_ddm_with_that_price(
    case: tuple[float, float, list[float], list[float]], multiple: float
) -> None:
    """Clean surplus: B0 + PV RI + PV(P_T - B_T) = PV dividends + PV(P_T), P_T = P/B x B_T."""
    b0, r, earnings, dividends = case
    res = ri.value(
        b0,
        r,
        earnings=earnings,
        dividends=dividends,
        continuing="price_to_book",
        terminal_price_to_book=multiple,
    )
    ddm = dcf.dividend_discount(dividends, r, terminal_price=multiple * res.book_value[-1])
    assert res.value == pytest.approx(ddm.value, rel=1e-9)


@given(books, st.floats(0.01, 0.40), shares, st.floats(0.005, 0.20), st.integers(1, 12))
def test_multistage_with_justified_pb_is_single_stage(
    b0: float, roe: float, payout: float, spread: float, years: int
) -> None:
    """Constant ROE and payout grow book at g = ROE(1 - b); a justified P/B exit is single-stage."""
    growth = roe * (1.0 - payout)
    r = growth + spread
    multiple = ri.justified_price_to_book(roe, r, growth)
    res = ri.value(
        b0,
        r,
        roe=roe,
        payout=payout,
        horizon=years,
        continuing="price_to_book",
        terminal_price_to_book=multiple,
    )
    single = ri.single_stage(b0, roe, r, growth)
    assert res.value == pytest.approx(single, rel=1e-9, abs=1e-9 * b0)
    assert single == pytest.approx(multiple * b0, rel=1e-12, abs=1e-12 * b0)


@given(books, st.floats(0.0, 0.40), rates, st.integers(1, 12))
def test_full_payout_perpetuity_is_single_stage_without_growth(
    b0: float, roe: float, r: float, years: int
) -> None:
    """Payout 1 keeps book and RI flat, so CFA's RI_T/r at T-1 equals B0 + (ROE - r)B0/r."""
    res = ri.value(b0, r, roe=roe, payout=1.0, horizon=years, continuing="perpetuity")
    assert res.value == pytest.approx(ri.single_stage(b0, roe, r, 0.0), rel=1e-9, abs=1e-9 * b0)


@given(forecasts())
def test_persistence_edges(case: tuple[float, float, list[float], list[float]]) -> None:
    """Persistence 0 is 'none' (RI stops after T); persistence 1 is the perpetuity."""
    b0, r, earnings, dividends = case
    kwargs = {"earnings": earnings, "dividends": dividends}
    none = ri.value(b0, r, **kwargs)
    zero = ri.value(b0, r, **kwargs, continuing="persistence", persistence=0.0)
    one = ri.value(b0, r, **kwargs, continuing="persistence", persistence=1.0)
    forever = ri.value(b0, r, **kwargs, continuing="perpetuity")
    assert zero.value == pytest.approx(none.value, rel=1e-12, abs=1e-12)
    assert one.value == forever.value


@given(forecasts(), st.sampled_from(ri.CONTINUING), shares)
def test_bridge_sums_to_value_and_serialises(
    case: tuple[float, float, list[float], list[float]], continuing: str, knob: float
) -> None:
    """For every continuing choice the bridge steps add up to value and to_dict is strict JSON."""
    b0, r, earnings, dividends = case
    extra: dict[str, float] = {}
    if continuing == "persistence":
        extra["persistence"] = knob
    if continuing == "price_to_book":
        extra["terminal_price_to_book"] = 1.0 + knob
    res = ri.value(
        b0, r, earnings=earnings, dividends=dividends, continuing=continuing,  # type: ignore[arg-type]
        **extra,
    )  # fmt: skip
    assert sum(amount for _, amount in res.bridge()) == res.value
    assert len(res.pv_residual_income) == len(earnings)
    json.dumps(res.to_dict(), allow_nan=False)


@given(books, st.floats(0.0, 0.40), st.floats(0.02, 0.20), st.floats(-0.05, 0.10))
def test_implied_rates_invert_single_stage(b0: float, roe: float, r: float, g: float) -> None:
    """implied_growth and implied_cost_of_equity recover the inputs of single_stage."""
    assume(r - g >= 0.005 and abs(roe - r) >= 0.005 and roe - g >= 0.005)
    price = ri.single_stage(b0, roe, r, g)
    assert ri.implied_growth(price, b0, roe, r) == pytest.approx(g, abs=1e-9)
    assert ri.implied_cost_of_equity(price, b0, roe, g) == pytest.approx(r, abs=1e-9)
