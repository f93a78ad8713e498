"""Input checks every finance model shares, so all of them word their errors alike."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

from evergreen.finance.errors import FinanceInputError

__all__ = [
    "MAX_AMOUNT",
    "MAX_MONTHS",
    "checked_amount",
    "checked_annual_rate",
    "checked_months",
    "checked_number",
    "checked_numbers",
    "checked_rate",
    "finite_result",
    "growth_below",
    "plain",
]

MAX_AMOUNT = 1e12  # a trillion: larger figures are typos, and they would overflow the sums
MAX_MONTHS = 1200  # a hundred years: longer schedules are typos (and overflow the powers)


def checked_number(field: str, value: object) -> float:
    """Turn one input into a finite float, or say which field is not a usable number."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise FinanceInputError(field, f"must be a number (got {value!r})")
    try:
        result = float(value)
    except OverflowError:
        result = math.inf
    if not math.isfinite(result):
        raise FinanceInputError(
            field, f"must be a finite number (got {result}); pass a real amount"
        )
    return result


def checked_rate(field: str, value: object) -> float:
    """A rate above -100%, the least that keeps (1 + rate) a usable discount base."""
    result = checked_number(field, value)
    if result <= -1.0:
        raise FinanceInputError(
            field, f"must be greater than -1 (got {result:g}); rates are decimals, 0.10 means 10%"
        )
    return result


def plain(values: object) -> object:
    """Numpy arrays (anything with tolist) become lists, so callers can pass either."""
    tolist = getattr(values, "tolist", None)
    return tolist() if callable(tolist) and not isinstance(values, Sequence) else values


def checked_numbers(
    field: str, values: object, length: int | None = None, of: str = ""
) -> list[float]:
    """A non-empty sequence of finite floats, optionally as long as another input."""
    values = plain(values)
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise FinanceInputError(field, f"must be a list of numbers, one per year (got {values!r})")
    if not values:
        raise FinanceInputError(field, "must hold at least one year; give one value per year")
    result = [checked_number(f"{field}[{i}]", v) for i, v in enumerate(values)]
    if length is not None and len(result) != length:
        raise FinanceInputError(
            field,
            f"has {len(result)} values but {of} has {length}; give one value per forecast year",
        )
    return result


def growth_below(field: str, growth: object, rate: float, rate_field: str) -> float:
    """A perpetuity growth rate that stays below the discount rate, so the sum converges."""
    g = checked_rate(field, growth)
    if rate <= g:
        raise FinanceInputError(
            rate_field,
            f"must be greater than growth (got r={rate:g}, g={g:g}); a perpetuity growing "
            "at or above its discount rate has no finite value",
        )
    return g


def finite_result(field: str, *values: float) -> None:
    """Refuse a result that overflowed, naming the input most likely to blame."""
    if not all(math.isfinite(v) for v in values):
        raise FinanceInputError(
            field, "the forecast overflows floating point; check units and magnitudes"
        )


def checked_amount(field: str, value: float, *, positive: bool = True) -> float:
    """A finite amount of money within bounds (above 0 unless `positive` is False)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise FinanceInputError(field, f"must be a finite number (got {value!r})")
    if positive and value <= 0:
        raise FinanceInputError(field, f"must be above 0 (got {value})")
    if value < 0:
        raise FinanceInputError(field, f"must be 0 or more (got {value})")
    if value > MAX_AMOUNT:
        raise FinanceInputError(field, f"must be at most {MAX_AMOUNT:,.0f} (got {value:,})")
    return float(value)


def checked_months(field: str, value: int, *, minimum: int = 1, maximum: int = MAX_MONTHS) -> int:
    """A whole number of months within bounds."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise FinanceInputError(field, f"must be a whole number of months (got {value!r})")
    if value < minimum:
        raise FinanceInputError(field, f"must be at least {minimum} (got {value})")
    if value > maximum:
        raise FinanceInputError(field, f"must be at most {maximum:,} (got {value:,})")
    return value


def checked_annual_rate(value: float, field: str = "annual_rate") -> float:
    """A yearly rate as a fraction between 0 and 1."""
    rate = checked_amount(field, value, positive=False)
    if rate > 1:
        raise FinanceInputError(
            field, f"must be a yearly fraction no more than 1, so 0.12 for 12% (got {value})"
        )
    return rate
