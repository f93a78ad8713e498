"""Passive vs active Monte Carlo: closed forms, a loop reference, seeds and monotonicity."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evergreen.finance.errors import FinanceInputError
from evergreen.finance.simulation import (
    PassiveVsActive,
    SimulationResult,
    draw_paths,
    path_outcomes,
    simulate,
)

# Small enough to work by hand: 2 build months of 10 hours at $50, peak $1,000 for sure.
HAND = PassiveVsActive(
    build_months=2,
    hours_per_month=10,
    freelance_rate=50,
    success_probability=1.0,
    ramp_months=2,
    peak_revenue_median=1_000,
    peak_revenue_sigma=0.0,
    persistence=0.5,
    churn=0.0,
    monthly_costs=10,
    maintenance_hours=1,
    discount_rate=0.01,
    horizon_months=6,
)
# Monthly (passive - active) cash, by hand: build -(500 + 10); then revenue 500, 1000, 500, 250
# less 10 of costs and 1 hour (50) of maintenance.
HAND_FLOWS = [-510.0, -510.0, 440.0, 940.0, 440.0, 190.0]


def _loop_path(
    inputs: PassiveVsActive, launched: bool, peak: float, live: int
) -> tuple[float, int]:
    """Reference: walk one path month by month; return NPV and break-even month (0 = never)."""
    npv, cash, breakeven = 0.0, 0.0, 0
    peak_month = max(inputs.ramp_months, 1)
    for month in range(1, inputs.horizon_months + 1):
        if month <= inputs.build_months:
            flow = -(inputs.freelance_rate * inputs.hours_per_month + inputs.monthly_costs)
        elif launched and month - inputs.build_months <= live:
            s = month - inputs.build_months
            revenue = peak * min(s / peak_month, 1.0) * inputs.persistence ** max(s - peak_month, 0)
            flow = revenue - inputs.monthly_costs - inputs.freelance_rate * inputs.maintenance_hours
        else:
            flow = 0.0
        npv += flow / (1 + inputs.discount_rate) ** month
        cash += flow
        if not breakeven and cash > 0:
            breakeven = month
    return npv, breakeven


def test_deterministic_case_matches_the_hand_computation() -> None:
    """Sigma 0, certain success: NPV is the discounted hand flows; break-even in month 4."""
    expected = math.fsum(cf / 1.01**t for t, cf in enumerate(HAND_FLOWS, start=1))
    result = simulate(HAND, paths=50, seed=3)
    assert result.npv.p5 == pytest.approx(expected, rel=1e-12)
    assert result.npv.p95 == pytest.approx(expected, rel=1e-12)
    assert result.npv.mean == pytest.approx(expected, rel=1e-12)
    assert result.probability_passive_wins == 1.0
    assert result.breakeven_month is not None
    assert (result.breakeven_month.p5, result.breakeven_month.p95) == (4.0, 4.0)
    assert result.never_breakeven_share == 0.0


def test_residual_income_view_by_hand() -> None:
    """Capital 510 x 1.01 + 510; RI = 1,000 - 60 - 1% of it; fades by half over 4 live months."""
    capital = 510 * 1.01 + 510
    monthly = 1_000 - 60 - 0.01 * capital
    pv = math.fsum(monthly * 0.5 ** (s - 1) / 1.01 ** (2 + s) for s in range(1, 5))
    result = simulate(HAND, paths=10, seed=0)
    assert result.invested_capital == pytest.approx(capital, rel=1e-12)
    assert result.residual_income_monthly == pytest.approx(monthly, rel=1e-12)
    assert result.residual_income_persistence == 0.5
    assert result.residual_income_pv == pytest.approx(pv, rel=1e-12)


def test_no_success_means_losing_exactly_the_forgone_income() -> None:
    """p = 0 and no costs: every path's NPV is minus the PV of the build hours' pay."""
    inputs = replace(PassiveVsActive(), success_probability=0.0, monthly_costs=0.0)
    forgone = math.fsum(60.0 * 60.0 / 1.008**t for t in range(1, 7))
    result = simulate(inputs, paths=5_000, seed=11)
    assert result.pv_forgone_build_income == pytest.approx(forgone, rel=1e-12)
    assert result.npv.p5 == pytest.approx(-forgone, rel=1e-12)
    assert result.npv.p95 == pytest.approx(-forgone, rel=1e-12)
    assert result.probability_passive_wins == 0.0
    assert result.breakeven_month is None
    assert result.never_breakeven_share == 1.0


def test_no_success_with_costs_also_loses_the_build_costs() -> None:
    """p = 0 with $50 a month of tools: NPV = -PV(forgone pay + costs) of the 6 build months."""
    result = simulate(replace(PassiveVsActive(), success_probability=0.0), paths=1_000, seed=2)
    expected = -math.fsum((3_600.0 + 50.0) / 1.008**t for t in range(1, 7))
    assert result.npv.mean == pytest.approx(expected, rel=1e-12)


@settings(max_examples=25, deadline=None)
@given(
    st.builds(
        PassiveVsActive,
        build_months=st.integers(0, 12),
        hours_per_month=st.floats(0, 160),
        freelance_rate=st.floats(0, 200),
        success_probability=st.floats(0, 1),
        ramp_months=st.integers(0, 12),
        peak_revenue_median=st.floats(10, 20_000),
        peak_revenue_sigma=st.floats(0, 1.5),
        persistence=st.floats(0, 1),
        churn=st.floats(0, 0.3),
        monthly_costs=st.floats(0, 500),
        maintenance_hours=st.floats(0, 40),
        discount_rate=st.floats(0, 0.03),
        horizon_months=st.integers(12, 60),
    ),
    st.integers(0, 2**32),
)
def test_vectorised_paths_match_a_month_by_month_loop(inputs: PassiveVsActive, seed: int) -> None:
    """Independent derivation: the same draws walked month by month give the same answers."""
    draws = draw_paths(inputs, 300, seed)
    outcome = path_outcomes(inputs, draws)
    for i in range(300):
        npv, breakeven = _loop_path(
            inputs,
            bool(draws.launched[i]),
            float(draws.peak_revenue[i]),
            int(draws.live_months[i]),
        )
        assert outcome.npv[i] == pytest.approx(npv, rel=1e-9, abs=1e-6)
        assert outcome.breakeven_month[i] == breakeven


def test_same_seed_same_result_and_a_new_seed_differs() -> None:
    """Seeded runs are reproducible, so a saved scenario gives the same figures tomorrow."""
    first = simulate(PassiveVsActive(), paths=20_000, seed=42).to_dict()
    assert simulate(PassiveVsActive(), paths=20_000, seed=42).to_dict() == first
    assert simulate(PassiveVsActive(), paths=20_000, seed=43).to_dict() != first
    assert json.loads(json.dumps(first)) == first


def test_higher_success_probability_raises_the_mean_npv() -> None:
    """Monotonicity: with common random numbers, better odds never lower the expected NPV."""
    means = [
        simulate(replace(PassiveVsActive(), success_probability=p), paths=20_000, seed=7).npv.mean
        for p in (0.0, 0.1, 0.3, 0.6, 1.0)
    ]
    assert means == sorted(means)
    assert len(set(means)) == len(means)


def test_lifetimes_follow_the_churn() -> None:
    """Geometric lifetimes capped at N live months have mean (1 - (1 - c)^N) / c."""
    inputs = replace(PassiveVsActive(), churn=0.05)
    lives = draw_paths(inputs, 200_000, seed=5).live_months
    window = inputs.horizon_months - inputs.build_months
    assert lives.min() >= 1
    assert lives.max() <= window
    assert np.mean(lives) == pytest.approx((1 - 0.95**window) / 0.05, abs=0.3)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"success_probability": 1.5}, "success_probability"),
        ({"hours_per_month": -1.0}, "hours_per_month"),
        ({"build_months": 3.5}, "build_months"),
        ({"build_months": 200}, "build_months"),
        ({"churn": 1.0}, "churn"),
        ({"peak_revenue_median": 0.0}, "peak_revenue_median"),
        ({"discount_rate": float("nan")}, "discount_rate"),
        ({"horizon_months": 0}, "horizon_months"),
        ({"horizon_months": 1201}, "horizon_months"),
        ({"ramp_months": 1201}, "ramp_months"),
        ({"peak_revenue_sigma": 5.01}, "peak_revenue_sigma"),
        ({"peak_revenue_sigma": 1000.0}, "peak_revenue_sigma"),
        ({"discount_rate": 0.51}, "discount_rate"),
        ({"discount_rate": -0.01}, "discount_rate"),
        ({"hours_per_month": 745.0}, "hours_per_month"),
        ({"maintenance_hours": 745.0}, "maintenance_hours"),
        ({"freelance_rate": 1.1e6}, "freelance_rate"),
        ({"peak_revenue_median": 1.1e12}, "peak_revenue_median"),
        ({"monthly_costs": 1.1e12}, "monthly_costs"),
    ],
)
def test_bad_inputs_name_the_field(changes: dict[str, object], field: str) -> None:
    """Impossible scenarios are refused on creation, naming what to fix."""
    with pytest.raises(FinanceInputError) as caught:
        replace(PassiveVsActive(), **changes)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_bad_run_settings_are_refused() -> None:
    """Paths and seed must be whole numbers."""
    with pytest.raises(FinanceInputError) as caught:
        simulate(PassiveVsActive(), paths=0)
    assert caught.value.field == "paths"
    with pytest.raises(FinanceInputError) as caught:
        simulate(PassiveVsActive(), seed=-1)
    assert caught.value.field == "seed"


# The largest scenario the bounds allow: every figure must still be a finite number.
EXTREME = PassiveVsActive(
    build_months=1200,
    hours_per_month=744,
    freelance_rate=1e6,
    success_probability=1.0,
    ramp_months=0,
    peak_revenue_median=1e12,
    peak_revenue_sigma=5.0,
    persistence=1.0,
    churn=0.0,
    monthly_costs=1e12,
    maintenance_hours=744,
    discount_rate=0.5,
    horizon_months=1200,
)


def _assert_finite(result: SimulationResult) -> None:
    numbers = [value for value in _leaves(result.to_dict()) if isinstance(value, float)]
    assert all(math.isfinite(value) for value in numbers)


def _leaves(value: object) -> list[object]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    return [value]


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"build_months": 600, "ramp_months": 1200},
        {"build_months": 0, "discount_rate": 0.0, "persistence": 1.0},
        {"build_months": 1199, "churn": 0.999999},
    ],
)
def test_the_bounds_keep_every_figure_finite(changes: dict[str, object]) -> None:
    """At sigma 5, a 50% monthly rate, 1,200 months and 1e12 amounts nothing overflows."""
    _assert_finite(simulate(replace(EXTREME, **changes), paths=200, seed=1))  # type: ignore[arg-type]


def _unchecked(**changes: float) -> PassiveVsActive:
    """Inputs past the bounds, skipping validation, to reach the overflow guards behind it."""
    inputs = PassiveVsActive()
    for name, value in changes.items():
        object.__setattr__(inputs, name, value)
    return inputs


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"peak_revenue_sigma": 1000.0}, "peak_revenue_sigma"),
        ({"peak_revenue_sigma": 40.0}, "peak_revenue_sigma"),
        ({"discount_rate": 1e6, "build_months": 100}, "discount_rate"),
    ],
)
def test_an_overflow_past_the_checks_is_a_named_input_error(
    changes: dict[str, float], field: str
) -> None:
    """No bare OverflowError, numpy warning or inf NPV: the overflowing input is named."""
    with pytest.raises(FinanceInputError) as caught:
        simulate(_unchecked(**changes), paths=50, seed=0)
    assert caught.value.field == field


def test_path_outcomes_refuse_infinite_draws() -> None:
    """Hand-made draws with an infinite peak give an input error, not an inf NPV."""
    draws = draw_paths(PassiveVsActive(success_probability=1.0), 5, seed=0)
    draws.peak_revenue[2] = math.inf
    with pytest.raises(FinanceInputError) as caught:
        path_outcomes(PassiveVsActive(), draws)
    assert caught.value.field == "peak_revenue_sigma"


IN_BOUNDS = {
    "build_months": st.integers(0, 1200),
    "hours_per_month": st.floats(0, 744),
    "freelance_rate": st.floats(0, 1e6),
    "success_probability": st.floats(0, 1),
    "ramp_months": st.integers(0, 1200),
    "peak_revenue_median": st.floats(1e-3, 1e12),
    "peak_revenue_sigma": st.floats(0, 5),
    "persistence": st.floats(0, 1),
    "churn": st.floats(0, 0.999999),
    "monthly_costs": st.floats(0, 1e12),
    "maintenance_hours": st.floats(0, 744),
    "discount_rate": st.floats(0, 0.5),
    "horizon_months": st.integers(1, 1200),
}
WILD = st.floats(-1e300, 1e300) | st.sampled_from([1e3, 37.7, 0.51, 5.01, 1201.0, 1.1e12])


@settings(max_examples=100, deadline=None)
@given(
    st.fixed_dictionaries(IN_BOUNDS),
    st.none() | st.tuples(st.sampled_from(sorted(IN_BOUNDS)), WILD),
    st.integers(0, 2**32),
)
def test_outputs_are_finite_or_an_input_error(
    values: dict[str, float], wild: tuple[str, float] | None, seed: int
) -> None:
    """Property: any numbers give a result of finite figures or an error naming an input."""
    if wild is not None:
        name, value = wild
        values[name] = int(value) if name.endswith("_months") and abs(value) < 1e18 else value
    try:
        outcome: SimulationResult | str = simulate(
            PassiveVsActive(**values),  # type: ignore[arg-type]
            paths=20,
            seed=seed,
        )
    except FinanceInputError as error:
        outcome = error.field
    if isinstance(outcome, str):
        assert outcome in IN_BOUNDS
    else:
        _assert_finite(outcome)
