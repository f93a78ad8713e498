"""Net present value and internal rate of return, for periodic and for dated cash flows.

Rates are searched on the growth factor's logarithm ``g = ln(1 + r)`` and every present value
is scaled by its largest discount term before summing, so long or extreme flow sets never
overflow. A grid scan finds every sign change of the NPV between -99.99% and 1,000,000% per
period, ``scipy.optimize.brentq`` polishes each, and when a flow set changes sign more than
once (and so may have several rates) the rate nearest zero is returned.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray

from evergreen.finance.errors import FinanceInputError

__all__ = ["irr", "npv", "xirr", "xnpv"]

_MAX_AMOUNT = 1e15
_LOWEST_RATE = -0.9999
_HIGHEST_RATE = 1e6
_GRID = np.concatenate(
    [
        np.linspace(math.log1p(_LOWEST_RATE), -0.5, 200, endpoint=False),
        np.linspace(-0.5, 0.5, 1001),
        np.linspace(0.5, math.log1p(_HIGHEST_RATE), 400)[1:],
    ]
)

Floats = NDArray[np.float64]
_TOL: dict[str, Any] = {"xtol": 1e-15, "rtol": 4 * np.finfo(float).eps, "maxiter": 200}


def _values(amounts: Sequence[float], field: str) -> Floats:
    values = np.asarray([float(a) for a in amounts], dtype=np.float64)
    if not np.all(np.isfinite(values)) or np.any(np.abs(values) > _MAX_AMOUNT):
        raise FinanceInputError(
            field, f"every cash flow must be a finite number no larger than {_MAX_AMOUNT:g}"
        )
    return values


def _check_amounts(amounts: Sequence[float], field: str) -> Floats:
    if len(amounts) < 2:
        raise FinanceInputError(field, f"needs at least two cash flows (got {len(amounts)})")
    values = _values(amounts, field)
    if not (np.any(values > 0) and np.any(values < 0)):
        raise FinanceInputError(
            field,
            "needs at least one negative (money out) and one positive (money in) cash flow; "
            "with no sign change no rate makes the NPV zero",
        )
    return values


def _check_rate(rate: float) -> float:
    if not math.isfinite(rate) or rate <= -1:
        raise FinanceInputError("rate", f"must be a finite number above -1 (got {rate})")
    return float(rate)


def _scaled_npv(growth_log: float | Floats, times: Floats, amounts: Floats) -> Floats:
    """NPV at ``r = exp(g) - 1`` divided by its largest discount factor: same sign, no overflow."""
    exponents = -np.multiply.outer(np.atleast_1d(growth_log), times)
    exponents -= exponents.max(axis=-1, keepdims=True)
    result: Floats = np.exp(exponents) @ amounts
    return result


def _scalar_npv(growth_log: float, times: Floats, amounts: Floats) -> float:
    return float(_scaled_npv(growth_log, times, amounts)[0])


def _solve(times: Floats, amounts: Floats, field: str) -> float:
    from scipy.optimize import brentq  # ~0.3 s to import: only when a rate is solved for

    values = _scaled_npv(_GRID, times, amounts)
    roots = [float(g) for g, v in zip(_GRID, values, strict=True) if v == 0.0]
    for k in np.flatnonzero(values[:-1] * values[1:] < 0):
        low, high = float(_GRID[k]), float(_GRID[k + 1])
        f_low, f_high = _scalar_npv(low, times, amounts), _scalar_npv(high, times, amounts)
        if f_low * f_high < 0:
            roots.append(float(brentq(_scalar_npv, low, high, args=(times, amounts), **_TOL)))
        else:  # the NPV is zero to rounding at an end; the batched sum rounded the other way
            roots.append(low if abs(f_low) <= abs(f_high) else high)
    if not roots:
        raise FinanceInputError(
            field,
            f"no rate between {_LOWEST_RATE:.2%} and {_HIGHEST_RATE:,.0%} per period makes the "
            "NPV zero; check the signs and sizes of the cash flows",
        )
    return math.expm1(min(roots, key=abs))


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise FinanceInputError(
            "rate", "the present value overflows at this rate; use a rate nearer zero"
        )
    return value


def npv(rate: float, cash_flows: Sequence[float]) -> float:
    """Present value of periodic flows, the first at time 0 (unlike spreadsheet NPV, at time 1)."""
    checked = _check_rate(rate)
    values = _values(cash_flows, "cash_flows")
    times = np.arange(len(values), dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        result = float(values @ np.power(1.0 + checked, -times))
    return _finite(result)


def irr(cash_flows: Sequence[float]) -> float:
    """Per-period rate that makes the NPV of periodic flows zero: a loan's yield per period."""
    amounts = _check_amounts(cash_flows, "cash_flows")
    return _solve(np.arange(len(amounts), dtype=np.float64), amounts, "cash_flows")


def _dated(cash_flows: Sequence[tuple[date, float]]) -> tuple[Floats, Floats]:
    amounts = _check_amounts([amount for _, amount in cash_flows], "cash_flows")
    first = min(day for day, _ in cash_flows)
    times = np.asarray([(day - first).days / 365.0 for day, _ in cash_flows], dtype=np.float64)
    return times, amounts


def xnpv(rate: float, cash_flows: Sequence[tuple[date, float]]) -> float:
    """Present value at the earliest date of dated flows, discounted on actual/365 years."""
    checked = _check_rate(rate)
    if not cash_flows:
        return 0.0
    _values([amount for _, amount in cash_flows], "cash_flows")
    first = min(day for day, _ in cash_flows)
    try:
        result = math.fsum(
            float(amount) * (1.0 + checked) ** (-(day - first).days / 365.0)
            for day, amount in cash_flows
        )
    except OverflowError:
        result = math.inf
    return _finite(result)


def xirr(cash_flows: Sequence[tuple[date, float]]) -> float:
    """Effective annual rate that makes dated flows' XNPV zero, as spreadsheet XIRR defines it."""
    times, amounts = _dated(cash_flows)
    return _solve(times, amounts, "cash_flows")
