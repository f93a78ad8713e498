"""Closed-form private-lending maths: payment, balance and the lender's yield with points.

Rates are annual fractions (0.12 is 12%) paid monthly at ``annual_rate / 12`` per month; money
is float and unrounded (round at the edge that shows it). The dated model with draws, day
counts, late fees and payoff quotes lives in :mod:`evergreen.finance.loan_schedule`.
"""

from __future__ import annotations

import math

from evergreen.finance.cashflows import irr
from evergreen.finance.errors import FinanceInputError

__all__ = ["balance", "lender_yield", "payment"]

MAX_AMOUNT = 1e12  # a trillion: larger figures are typos, and they would overflow the sums
MAX_MONTHS = 1200  # a hundred years: longer schedules are typos (and overflow the powers)


def _money(field: str, value: float, *, positive: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise FinanceInputError(field, f"must be a finite number (got {value!r})")
    if positive and value <= 0:
        raise FinanceInputError(field, f"must be above 0 (got {value})")
    if value < 0:
        raise FinanceInputError(field, f"must be 0 or more (got {value})")
    if value > MAX_AMOUNT:
        raise FinanceInputError(field, f"must be at most {MAX_AMOUNT:,.0f} (got {value:,})")
    return float(value)


def _months(field: str, value: int, *, minimum: int = 1, maximum: int = MAX_MONTHS) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise FinanceInputError(field, f"must be a whole number of months (got {value!r})")
    if value < minimum:
        raise FinanceInputError(field, f"must be at least {minimum} (got {value})")
    if value > maximum:
        raise FinanceInputError(field, f"must be at most {maximum:,} (got {value:,})")
    return value


def _annual_rate(value: float, field: str = "annual_rate") -> float:
    rate = _money(field, value, positive=False)
    if rate > 1:
        raise FinanceInputError(
            field, f"must be a yearly fraction no more than 1, so 0.12 for 12% (got {value})"
        )
    return rate


def payment(principal: float, annual_rate: float, amortization_months: int) -> float:
    """Level monthly payment that repays ``principal`` with interest over the amortisation."""
    amount = _money("principal", principal)
    rate = _annual_rate(annual_rate) / 12
    months = _months("amortization_months", amortization_months)
    if rate == 0:
        return amount / months
    return amount * rate / -math.expm1(-months * math.log1p(rate))


def balance(
    principal: float, annual_rate: float, amortization_months: int, after_months: int
) -> float:
    """Principal still owed after ``after_months`` level payments: what a balloon must repay."""
    amount = _money("principal", principal)
    rate = _annual_rate(annual_rate) / 12
    months = _months("amortization_months", amortization_months)
    paid = _months("after_months", after_months, minimum=0)
    if paid > months:
        raise FinanceInputError(
            "after_months", f"must not exceed amortization_months ({paid} > {months})"
        )
    if paid == months:
        return 0.0
    if rate == 0:
        return amount * (months - paid) / months
    # B_k = P * ((1+i)^n - (1+i)^k) / ((1+i)^n - 1), written with expm1 to stay exact near 0.
    growth = math.log1p(rate)
    return (
        amount
        * (math.expm1(months * growth) - math.expm1(paid * growth))
        / math.expm1(months * growth)
    )


def lender_yield(
    principal: float,
    annual_rate: float,
    months: int,
    points: float = 0.0,
    amortization_months: int | None = None,
) -> float:
    """Nominal annual yield (monthly IRR x 12) a lender earns once points cut the cash lent."""
    amount = _money("principal", principal)
    rate = _annual_rate(annual_rate)
    term = _months("months", months)
    fee = _money("points", points, positive=False)
    if fee >= 100:
        raise FinanceInputError("points", f"must be below 100 (2.0 is 2% of principal; got {fee})")
    if amortization_months is None:
        flows = [amount * rate / 12] * term
        flows[-1] += amount
    else:
        amortization = _months("amortization_months", amortization_months)
        if amortization < term:
            raise FinanceInputError(
                "amortization_months",
                f"must be at least the term in months ({amortization} < {term})",
            )
        level = payment(amount, rate, amortization)
        flows = [level] * term
        flows[-1] += balance(amount, rate, amortization, term)
    outlay = amount * (1 - fee / 100)
    return irr([-outlay, *flows]) * 12
