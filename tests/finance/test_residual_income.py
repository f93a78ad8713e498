"""Residual income valuation against published worked examples, and its input errors."""

from __future__ import annotations

import json
import math

import pytest

from evergreen.finance.errors import FinanceInputError
from evergreen.finance.residual_income import multistage as ri

BUGG = {"earnings": [2.00, 2.50, 4.00], "dividends": [1.00, 1.25, 12.25]}
TANTECHI = {"earnings": [7.82, 8.17, 8.54], "dividends": [1.46, 1.53, 1.59]}
FADING = {"book_value": 12.40, "cost_of_equity": 0.087, "roe": 0.136, "payout": 0.0, "horizon": 5}
ROE = {"roe": 0.1, "payout": 0.2, "horizon": 2}
TANTECHI_RI3 = 8.54 - 0.087 * (45.25 + 7.82 - 1.46 + 8.17 - 1.53)


def test_bugg_properties_liquidating_example() -> None:
    """Pinto et al., Equity Asset Valuation, RI reading, Bugg Properties (liquidating firm).

    B0 = 6.00, r = 10%: RI 1.40 / 1.80 / 3.175, book 7.00 / 8.25 / 0.00, value about 11.15.
    """
    res = ri.value(6.00, 0.10, **BUGG)
    assert res.residual_income == pytest.approx([1.40, 1.80, 3.175], abs=1e-12)
    assert res.book_value == pytest.approx([7.00, 8.25, 0.0], abs=1e-12)
    assert round(res.value, 2) == 11.15
    assert res.pv_residual_income == pytest.approx([1.2727, 1.4876, 2.3854], abs=5e-5)
    assert res.discount_factors == pytest.approx([1 / 1.1, 1 / 1.21, 1 / 1.331])


def test_tantechi_multistage_ri_constant_from_year_three() -> None:
    """Pinto et al. (CFA curriculum) end-of-reading question, Tantechi Ltd. (TTCI).

    B0 = 45.25, r = 8.7%, EPS 7.82/8.17/8.54, DPS 1.46/1.53/1.59, RI constant from year 3 in
    perpetuity; the answer choices are 54.88 / 83.01 / 85.71, and the CFA convention
    (RI_3/r stated at year 2) gives 85.71.
    """
    res = ri.value(45.25, 0.087, **TANTECHI, continuing="perpetuity")
    assert res.book_value[:2] == pytest.approx([51.61, 58.25], abs=1e-9)
    assert round(res.value, 2) == 85.71
    assert res.explicit_years == 2
    assert res.terminal_year == 2


def test_persistence_example_roe_fading() -> None:
    """CFA Level II practice question (gaodun.com/q/f03t4m): B0 12.40, ROE 13.6%, r 8.7%.

    No dividends, five years; RI dropping to zero after year 5 gives 15.46, a persistence
    factor of 0.35 gives 15.78 (PV of continuing RI at year 4 = 1.01/(1.087 - 0.35) = 1.37).
    """
    none = ri.value(12.40, 0.087, roe=0.136, payout=0.0, horizon=5)
    assert none.residual_income == pytest.approx([0.61, 0.69, 0.78, 0.89, 1.01], abs=0.005)
    assert none.book_value[-1] == pytest.approx(23.46, abs=0.005)
    assert round(none.value, 2) == 15.46
    faded = ri.value(
        12.40, 0.087, roe=0.136, payout=0.0, horizon=5, continuing="persistence", persistence=0.35
    )
    assert round(faded.value, 2) == 15.78
    assert faded.terminal_value == pytest.approx(1.37, abs=0.005)
    assert faded.terminal_year == 4


def test_perpetuity_equals_persistence_of_one() -> None:
    """CFA note: perpetuity is the persistence model with omega = 1 (independent check)."""
    perpetual = ri.value(45.25, 0.087, **TANTECHI, continuing="perpetuity")
    omega_one = ri.value(45.25, 0.087, **TANTECHI, continuing="persistence", persistence=1.0)
    assert perpetual.value == omega_one.value
    assert perpetual.terminal_value == pytest.approx(TANTECHI_RI3 / 0.087)


def test_price_to_book_terminal_by_hand() -> None:
    """Independent derivation: Bugg-like forecast with P/B 1.5 at T adds (P_T - B_T)/(1+r)^T."""
    res = ri.value(
        10.0,
        0.10,
        earnings=[1.5, 1.6],
        dividends=[0.5, 0.6],
        continuing="price_to_book",
        terminal_price_to_book=1.5,
    )
    b2 = 10.0 + 1.0 + 1.0
    expected = 10.0 + (1.5 - 1.0) / 1.1 + (1.6 - 0.1 * 11.0) / 1.21 + 0.5 * b2 / 1.21
    assert res.value == pytest.approx(expected, rel=1e-12)
    assert res.terminal_value == pytest.approx(0.5 * b2)


def test_dirty_surplus_moves_book_but_not_residual_income() -> None:
    """Independent derivation: OCI enters B_t = B_{t-1} + E_t + OCI_t - D_t, RI uses E_t only."""
    res = ri.value(
        10.0,
        0.10,
        earnings=[2.0, 2.0],
        dividends=[1.0, 1.0],
        other_comprehensive_income=[-0.5, 0.3],
    )
    assert res.book_value == pytest.approx([10.5, 11.8])
    assert res.residual_income == pytest.approx([2.0 - 1.0, 2.0 - 1.05])


def test_roe_sequence_with_payout_per_year() -> None:
    """Independent derivation: E_t = ROE_t·B_{t-1}, D_t = payout_t·E_t, no dividend from a loss."""
    res = ri.value(100.0, 0.10, roe=[0.15, -0.05, 0.12], payout=[0.4, 0.5, 0.25], horizon=3)
    assert res.earnings == pytest.approx([15.0, -0.05 * 109.0, 0.12 * 103.55])
    assert res.dividends == pytest.approx([6.0, 0.0, 0.25 * 0.12 * 103.55])
    assert res.book_value == pytest.approx([109.0, 103.55, 103.55 + 0.75 * 0.12 * 103.55])


def test_numpy_arrays_are_accepted_like_lists() -> None:
    """Independent check: a numpy ROE path values the same as the equivalent list."""
    import numpy as np

    path = np.array([0.15, 0.12, 0.10])
    from_array = ri.value(20.0, 0.09, roe=path, payout=np.float64(0.3), horizon=3)
    from_list = ri.value(20.0, 0.09, roe=[0.15, 0.12, 0.10], payout=0.3, horizon=3)
    assert from_array.value == from_list.value


def test_single_stage_example() -> None:
    """AnalystNotes CFA L2 question: B0 50, ROE 15%, g 10%, r 12% -> 50 + 0.03·50/0.02 = 125."""
    assert ri.single_stage(50.0, 0.15, 0.12, 0.10) == pytest.approx(125.0)


def test_justified_price_to_book_century_scales() -> None:
    """CFA-style question (Century Scales): r 12%, g 5%, P/B 2.14 is justified by ROE about 20%."""
    assert ri.justified_price_to_book(0.20, 0.12, 0.05) == pytest.approx(2.14, abs=0.005)


@pytest.mark.parametrize(
    ("price", "book", "roe", "r", "growth"),
    [(32.0, 8.0, 0.15, 0.08, 0.0567), (42.0, 12.0, 0.14, 0.09, 0.07)],
)
def test_implied_growth_analystprep(
    price: float, book: float, roe: float, r: float, growth: float
) -> None:
    """AnalystPrep CFA L2 notes, 'Implied growth rate in residual income': 5.7% and 7%."""
    assert ri.implied_growth(price, book, roe, r) == pytest.approx(growth, abs=5e-5)


def test_implied_cost_of_equity_matches_a_numerical_root() -> None:
    """Independent check: brentq on the single-stage price finds the same r as the closed form."""
    from scipy.optimize import brentq

    def gap(r: float) -> float:
        return ri.single_stage(45.25, 0.12, r, 0.045) - 126.05

    root = brentq(gap, 0.0451, 1.0, xtol=1e-14)
    assert ri.implied_cost_of_equity(126.05, 45.25, 0.12, 0.045) == pytest.approx(root, rel=1e-10)


def test_bridge_and_to_dict() -> None:
    """The bridge adds up to value exactly and to_dict survives strict JSON."""
    res = ri.value(**FADING, continuing="persistence", persistence=0.35)
    steps = res.bridge()
    assert steps[0][0] == "Book value B0"
    assert sum(amount for _, amount in steps) == res.value
    payload = json.loads(json.dumps(res.to_dict(), allow_nan=False))
    assert payload["value"] == res.value
    assert payload["bridge"][1][0] == "PV of residual income, years 1-4"


def _raises(field: str, call: object, *args: object, **kwargs: object) -> str:
    assert callable(call)
    with pytest.raises(FinanceInputError) as info:
        call(*args, **kwargs)
    assert info.value.field == field
    return info.value.message


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("earnings", {}),
        ("roe", {"earnings": [1.0], "dividends": [0.5], "roe": 0.1}),
        ("horizon", {"roe": 0.1, "payout": 0.3}),
        ("horizon", {"roe": 0.1, "payout": 0.3, "other_comprehensive_income": [0.1]}),
        ("roe", {"roe": "high", "payout": 0.3, "horizon": 2}),
        ("horizon", {"roe": 0.1, "payout": 0.3, "horizon": 0}),
        ("horizon", {"roe": 0.1, "payout": 0.3, "horizon": -2}),
        ("horizon", {"roe": 0.1, "payout": 0.3, "horizon": 2.5}),
        ("horizon", {"roe": 0.1, "payout": 0.3, "horizon": True}),
        ("horizon", {"earnings": [1.0, 1.0], "dividends": [0.5, 0.5], "horizon": 3}),
        ("payout", {"roe": 0.1, "horizon": 3}),
        ("payout", {"roe": 0.1, "horizon": 3, "payout": 1.2}),
        ("payout", {"roe": 0.1, "horizon": 3, "payout": [0.2, 0.3]}),
        ("payout", {"earnings": [1.0], "payout": 0.5}),
        ("dividends", {"earnings": [1.0, 2.0]}),
        ("dividends", {"earnings": [1.0, 2.0], "dividends": [0.5]}),
        ("dividends", {"earnings": [1.0, 2.0], "dividends": [0.5, -1.0]}),
        ("dividends", {"roe": 0.1, "payout": 0.2, "horizon": 1, "dividends": [0.1]}),
        ("roe", {"roe": [0.1, 0.1], "payout": 0.2, "horizon": 3}),
        ("roe", {"roe": -1.0, "payout": 0.2, "horizon": 3}),
        ("earnings", {"earnings": [], "dividends": []}),
        ("earnings", {"earnings": "12", "dividends": [1.0]}),
        ("earnings[1]", {"earnings": [1.0, math.nan], "dividends": [0.0, 0.0]}),
        ("other_comprehensive_income",
         {"earnings": [1.0], "dividends": [0.5], "other_comprehensive_income": [0.1, 0.2]}),
        ("other_comprehensive_income",
         {"roe": 0.1, "payout": 0.0, "horizon": 2, "other_comprehensive_income": [-20.0, 0.0]}),
        ("continuing", {**ROE, "continuing": "forever"}),
        ("persistence", {**ROE, "continuing": "persistence"}),
        ("persistence", {**ROE, "persistence": 0.5}),
        ("persistence", {**ROE, "continuing": "persistence", "persistence": 1.1}),
        ("persistence", {**ROE, "continuing": "persistence", "persistence": -0.1}),
        ("terminal_price_to_book", {**ROE, "continuing": "price_to_book"}),
        ("terminal_price_to_book", {**ROE, "terminal_price_to_book": 1.2}),
        ("terminal_price_to_book",
         {"earnings": [1.0], "dividends": [11.0], "continuing": "price_to_book",
          "terminal_price_to_book": 1.2}),
    ],
)  # fmt: skip
def test_value_rejects_bad_input(field: str, kwargs: dict[str, object]) -> None:
    """Each bad combination names the field to fix instead of returning a wrong number."""
    message = _raises(field, ri.value, 10.0, 0.10, **kwargs)
    assert message


def test_value_rejects_bad_book_and_rate() -> None:
    """Non-positive starting book, r <= -1, perpetuity at r <= 0 and overflow all fail clearly."""
    forecast = {"earnings": [1.0], "dividends": [0.5]}
    assert "greater than 0" in _raises("book_value", ri.value, -5.0, 0.1, **forecast)
    assert "greater than -1" in _raises("cost_of_equity", ri.value, 10.0, -1.0, **forecast)
    assert "growth" in _raises(
        "cost_of_equity", ri.value, 10.0, 0.0, **forecast, continuing="perpetuity"
    )
    assert "converge" in _raises(
        "cost_of_equity", ri.value, 10.0, -0.5, **forecast, continuing="persistence",
        persistence=0.8,
    )  # fmt: skip
    assert "overflows" in _raises("earnings", ri.value, 1e300, 0.1, roe=1e10, payout=0.0, horizon=3)
    assert "finite" in _raises("cost_of_equity", ri.value, 10.0, math.inf, **forecast)


def test_single_stage_family_rejects_bad_input() -> None:
    """r <= g, non-positive book or price, and prices that imply no growth rate are refused."""
    assert "greater than growth" in _raises("cost_of_equity", ri.single_stage, 30, 0.12, 0.08, 0.09)
    assert "greater than growth" in _raises(
        "cost_of_equity", ri.justified_price_to_book, 0.12, 0.08, 0.08
    )
    assert _raises("book_value", ri.single_stage, 0.0, 0.12, 0.10, 0.03)
    assert "no growth rate" in _raises("price", ri.implied_growth, 40.0, 30.0, 0.08, 0.10)
    assert "no growth rate" in _raises("price", ri.implied_growth, 20.0, 30.0, 0.12, 0.10)
    assert "any growth rate" in _raises("price", ri.implied_growth, 30.0, 30.0, 0.12, 0.10)
    assert "below -100%" in _raises("price", ri.implied_growth, 30.5, 30.0, 0.40, 0.10)
    assert _raises("price", ri.implied_growth, 0.0, 30.0, 0.12, 0.10)
    assert "no cost" in _raises("roe", ri.implied_cost_of_equity, 40.0, 30.0, 0.03, 0.03)
    assert _raises("price", ri.implied_cost_of_equity, -1.0, 30.0, 0.12, 0.03)
    assert _raises("growth", ri.implied_cost_of_equity, 40.0, 30.0, 0.12, -1.5)
