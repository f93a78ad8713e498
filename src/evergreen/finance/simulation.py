"""Passive versus active income: build a product unpaid, or sell the same hours as a freelancer?

A vectorised Monte Carlo. Every path compares two careers month by month over the horizon:

- Active: the same hours are sold at ``freelance_rate``.
- Passive: the build hours (``hours_per_month`` for ``build_months``) are unpaid. At the end of
  the build the product launches; it succeeds with ``success_probability``, otherwise it is shut
  down at once and earns nothing. A success earns from the month after the build: revenue ramps
  linearly to a peak in ``ramp_months`` (month s earns ``s / ramp_months`` of the peak), then
  fades by ``persistence`` each month. The peak is lognormal with median
  ``peak_revenue_median`` and log-standard-deviation ``peak_revenue_sigma``, one per path.
  Each month after the first, the product dies outright with probability ``churn`` (platform
  change, delisting); from then on it earns, costs and needs nothing.
- ``monthly_costs`` (hosting, tools) are paid in every build month and every live month.
  ``maintenance_hours`` a live month are also unpaid, charged at ``freelance_rate``.
- Flows are at month ends, discounted at ``discount_rate`` a month; taxes are ignored (or
  equal for both careers); an unlaunched product has no salvage value.

Per path, the NPV of (passive - active) is the PV of revenue less costs less the freelance
income forgone. The break-even month is the first month the undiscounted cumulative
(passive - active) cash turns strictly positive; paths that never get there are counted apart.

The residual income view (Ohlson-style, no simulation): the build's cost, carried to launch at
the discount rate, is the capital sunk. The expected monthly residual income is
``p * (E[peak] - costs - rate * maintenance) - discount_rate * capital``, with
``E[peak] = median * exp(sigma**2 / 2)``; it fades with persistence
``persistence * (1 - churn)`` and its PV runs from launch to the horizon, discounted to today.
It ignores the ramp, which the Monte Carlo does not.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from evergreen.finance.errors import FinanceInputError

__all__ = [
    "Distribution",
    "PassiveVsActive",
    "PathDraws",
    "PathOutcomes",
    "SimulationResult",
    "draw_paths",
    "path_outcomes",
    "simulate",
]

_CHUNK = 8192  # paths per block in the break-even search: bounds memory at ~8 MB per array
_MAX_AMOUNT = 1e12  # dollars: larger figures are typos, and they would overflow the sums
# Upper bounds beyond the amount cap: each keeps every figure finite (exp(sigma**2 / 2), a peak
# of exp(5 * z) and 1.5**1200 all fit a float) and anything larger is not a real scenario.
_LIMITS: dict[str, tuple[float, str]] = {
    "hours_per_month": (744, "a month has 744 hours"),
    "maintenance_hours": (744, "a month has 744 hours"),
    "freelance_rate": (1e6, "dollars an hour"),
    "ramp_months": (1200, "a hundred years"),
    "horizon_months": (1200, "a hundred years"),
    "build_months": (1200, "a hundred years"),
    "peak_revenue_sigma": (
        5.0,
        "5 already spreads the middle 90% of peaks over 7 orders of magnitude",
    ),
    "discount_rate": (0.5, "it is a monthly rate, 0.008 for about 10% a year"),
}


@dataclass(frozen=True)
class PassiveVsActive:
    """The bet, in plain numbers; defaults describe a modest online course built part time."""

    build_months: int = 6  # months of unpaid building before launch, up to horizon_months
    hours_per_month: float = 60.0  # build hours a month that could have been sold, up to 744
    freelance_rate: float = 60.0  # dollars an hour forgone (and for maintenance), up to 1e6
    success_probability: float = 0.35  # chance the launch finds buyers at all, 0 to 1
    ramp_months: int = 6  # months after launch to reach peak revenue (0: peak at once), to 1200
    peak_revenue_median: float = 2500.0  # median peak monthly revenue of a success, to 1e12
    peak_revenue_sigma: float = 0.9  # lognormal log-sd of the peak, 0 (certain) to 5
    persistence: float = 0.98  # share of last month's revenue kept each month after peak, 0-1
    churn: float = 0.01  # monthly chance a live product dies outright, 0 to below 1
    monthly_costs: float = 50.0  # hosting and tools, dollars a month while it exists, to 1e12
    maintenance_hours: float = 6.0  # unpaid hours a live month, at freelance_rate, up to 744
    discount_rate: float = 0.008  # monthly discount rate (about 10% a year), 0 to 0.5
    horizon_months: int = 120  # months compared, build included, 1 to 1200

    def __post_init__(self) -> None:
        for spec in fields(self):
            value = getattr(self, spec.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise FinanceInputError(spec.name, f"must be a number (got {value!r})")
            if not math.isfinite(value) or value < 0:
                raise FinanceInputError(
                    spec.name, f"must be a finite number, 0 or more (got {value})"
                )
            if spec.type == "int" and not isinstance(value, int):
                raise FinanceInputError(
                    spec.name, f"must be a whole number of months (got {value})"
                )
            limit, why = _LIMITS.get(spec.name, (_MAX_AMOUNT, "dollars; larger figures are typos"))
            if value > limit:
                raise FinanceInputError(
                    spec.name, f"must be at most {limit:g} ({why}; got {value:g})"
                )
        for name in ("success_probability", "persistence"):
            if getattr(self, name) > 1:
                raise FinanceInputError(
                    name, f"is a probability, 0 to 1 (got {getattr(self, name)})"
                )
        if self.churn >= 1:
            raise FinanceInputError("churn", f"must be below 1 (got {self.churn})")
        if self.peak_revenue_median <= 0:
            raise FinanceInputError("peak_revenue_median", "must be above 0")
        if self.horizon_months < 1:
            raise FinanceInputError(
                "horizon_months", f"must be 1 to 1200 months (got {self.horizon_months})"
            )
        if self.build_months > self.horizon_months:
            raise FinanceInputError(
                "build_months",
                f"must not exceed horizon_months ({self.build_months} > {self.horizon_months})",
            )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe view of the inputs, echoed with every result."""
        return asdict(self)


@dataclass(frozen=True)
class PathDraws:
    """The random part of each path (arrays, one entry a path), so results can be re-checked."""

    launched: NDArray[np.bool_]
    peak_revenue: NDArray[np.float64]
    live_months: NDArray[np.int64]  # months live after launch, capped at the horizon


@dataclass(frozen=True)
class PathOutcomes:
    """Per-path NPV of (passive - active) and break-even month (0 when never)."""

    npv: NDArray[np.float64]
    breakeven_month: NDArray[np.int64]


@dataclass(frozen=True)
class Distribution:
    """Summary of a simulated quantity: the percentiles a chart shows and the mean."""

    p5: float
    p25: float
    p50: float
    p75: float
    p95: float
    mean: float

    @classmethod
    def of(
        cls, values: NDArray[Any], method: Literal["linear", "inverted_cdf"] = "linear"
    ) -> Distribution:
        """Summarise an array (``method`` as numpy.percentile, e.g. whole months)."""
        points = np.percentile(values, [5, 25, 50, 75, 95], method=method)
        p5, p25, p50, p75, p95 = (float(x) for x in points)
        return cls(p5=p5, p25=p25, p50=p50, p75=p75, p95=p95, mean=float(np.mean(values)))

    def to_dict(self) -> dict[str, float]:
        """JSON-safe view."""
        return asdict(self)


@dataclass(frozen=True)
class SimulationResult:
    """What the bet is worth: NPV spread, odds of winning, time to break even, RI view."""

    inputs: PassiveVsActive
    paths: int
    seed: int
    npv: Distribution
    probability_passive_wins: float
    breakeven_month: Distribution | None  # among paths that break even; None if none do
    never_breakeven_share: float
    pv_forgone_build_income: float
    invested_capital: float
    residual_income_monthly: float
    residual_income_persistence: float
    residual_income_pv: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe view for the API and CLI."""
        return asdict(self)


def _finite(field: str, value: float) -> float:
    """Refuse an overflowed figure by the input that drove it, so no inf or NaN is reported."""
    if not math.isfinite(value):
        raise FinanceInputError(
            field, "this scenario overflows a float; use a smaller value (or smaller amounts)"
        )
    return value


def _exp(field: str, exponent: float) -> float:
    try:
        return _finite(field, math.exp(exponent))
    except OverflowError:
        return _finite(field, math.inf)


def _all_finite(field: str, values: NDArray[np.float64]) -> None:
    if not np.all(np.isfinite(values)):
        _finite(field, math.inf)


def _check_run(paths: int, seed: int) -> None:
    if isinstance(paths, bool) or not isinstance(paths, int) or not 1 <= paths <= 10_000_000:
        raise FinanceInputError("paths", f"must be a whole number, 1 to 10,000,000 (got {paths!r})")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise FinanceInputError("seed", f"must be a whole number, 0 or more (got {seed!r})")


def draw_paths(inputs: PassiveVsActive, paths: int, seed: int) -> PathDraws:
    """Draw launch, peak and lifetime per path; the same seed gives the same draws for any p."""
    _check_run(paths, seed)
    rng = np.random.default_rng(seed)
    launched = rng.random(paths) < inputs.success_probability
    with np.errstate(over="ignore", invalid="ignore"):
        peak = inputs.peak_revenue_median * np.exp(
            inputs.peak_revenue_sigma * rng.standard_normal(paths)
        )
    _all_finite("peak_revenue_sigma", peak)
    survive = 1.0 - rng.random(paths)  # uniform on (0, 1]
    window = inputs.horizon_months - inputs.build_months
    if inputs.churn > 0:
        # Geometric lifetime by inversion: P(live_months >= s) = (1 - churn) ** (s - 1).
        # Clipping the log first keeps the ratio at most ``window`` even for a tiny churn.
        log_keep = math.log1p(-inputs.churn)
        ratio = np.maximum(np.log(survive), window * log_keep) / log_keep
        live = np.minimum(np.floor(ratio) + 1, window).astype(np.int64)
    else:
        live = np.full(paths, window, dtype=np.int64)
    return PathDraws(launched=launched, peak_revenue=peak, live_months=live)


def _shape(inputs: PassiveVsActive, months: int) -> NDArray[np.float64]:
    """Revenue in launch month s = 1..months as a share of the peak."""
    s = np.arange(1, months + 1, dtype=np.float64)
    peak_month = max(inputs.ramp_months, 1)
    fade = np.power(inputs.persistence, np.maximum(s - peak_month, 0.0))
    shape: NDArray[np.float64] = np.minimum(s / peak_month, 1.0) * fade
    return shape


def path_outcomes(inputs: PassiveVsActive, draws: PathDraws) -> PathOutcomes:
    """NPV and break-even month of every path at once, from cumulative sums over months."""
    with np.errstate(over="ignore", invalid="ignore"):
        outcome = _path_outcomes(inputs, draws)
    _all_finite("peak_revenue_sigma", outcome.npv)
    return outcome


def _path_outcomes(inputs: PassiveVsActive, draws: PathDraws) -> PathOutcomes:
    build, window = inputs.build_months, inputs.horizon_months - inputs.build_months
    build_cost = inputs.freelance_rate * inputs.hours_per_month + inputs.monthly_costs
    live_cost = inputs.monthly_costs + inputs.freelance_rate * inputs.maintenance_hours
    discount = np.power(1.0 + inputs.discount_rate, -np.arange(1, inputs.horizon_months + 1.0))
    shape = _shape(inputs, window)
    # Cumulative PVs after s live months, s = 0..window, so each path is one lookup.
    pv_revenue = np.concatenate([[0.0], np.cumsum(shape * discount[build:])])
    pv_live = np.concatenate([[0.0], np.cumsum(discount[build:])])
    live = draws.live_months
    npv = -build_cost * discount[:build].sum() + np.where(
        draws.launched, draws.peak_revenue * pv_revenue[live] - live_cost * pv_live[live], 0.0
    )
    breakeven = np.zeros(len(live), dtype=np.int64)
    sunk = build_cost * build  # undiscounted cash behind at launch
    cum_shape = np.cumsum(shape)
    months = np.arange(1, window + 1)
    winners = np.flatnonzero(draws.launched & (live > 0))
    for start in range(0, len(winners), _CHUNK):
        idx = winners[start : start + _CHUNK]
        ahead = draws.peak_revenue[idx, None] * cum_shape - live_cost * months > sunk
        ahead &= months <= live[idx, None]
        first = ahead.argmax(axis=1)
        hit = ahead[np.arange(len(idx)), first]
        breakeven[idx[hit]] = build + first[hit] + 1
    return PathOutcomes(npv=npv, breakeven_month=breakeven)


def _residual_income_view(inputs: PassiveVsActive) -> tuple[float, float, float, float]:
    rate, build = inputs.discount_rate, inputs.build_months
    build_cost = inputs.freelance_rate * inputs.hours_per_month + inputs.monthly_costs
    growth = math.log1p(rate)
    compounded = math.fsum(_exp("discount_rate", (build - t) * growth) for t in range(1, build + 1))
    capital = _finite("discount_rate", build_cost * compounded)
    sigma = inputs.peak_revenue_sigma
    expected_peak = inputs.peak_revenue_median * _exp("peak_revenue_sigma", sigma * sigma / 2)
    live_cost = inputs.monthly_costs + inputs.freelance_rate * inputs.maintenance_hours
    monthly = inputs.success_probability * (expected_peak - live_cost) - rate * capital
    omega = inputs.persistence * (1 - inputs.churn)
    v, window = 1 / (1 + rate), inputs.horizon_months - build
    ratio = omega * v
    # Sum over s = 1..window of omega**(s-1) * v**s: a fading annuity from launch.
    annuity = window * v if ratio == 1 else v * (1 - ratio**window) / (1 - ratio)
    pv = monthly * annuity * v**build
    return capital, _finite("peak_revenue_sigma", monthly), omega, _finite("discount_rate", pv)


def simulate(inputs: PassiveVsActive, paths: int = 100_000, seed: int = 0) -> SimulationResult:
    """Monte Carlo of the bet, so a maker sees the odds and the spread, not just the average."""
    draws = draw_paths(inputs, paths, seed)
    outcome = path_outcomes(inputs, draws)
    discount = np.power(1.0 + inputs.discount_rate, -np.arange(1, inputs.build_months + 1.0))
    reached = outcome.breakeven_month[outcome.breakeven_month > 0]
    capital, monthly, omega, pv = _residual_income_view(inputs)
    return SimulationResult(
        inputs=inputs,
        paths=paths,
        seed=seed,
        npv=Distribution.of(outcome.npv),
        probability_passive_wins=float(np.mean(outcome.npv > 0)),
        breakeven_month=Distribution.of(reached, "inverted_cdf") if reached.size else None,
        never_breakeven_share=1.0 - reached.size / paths,
        pv_forgone_build_income=float(
            inputs.freelance_rate * inputs.hours_per_month * discount.sum()
        ),
        invested_capital=capital,
        residual_income_monthly=monthly,
        residual_income_persistence=omega,
        residual_income_pv=pv,
    )
