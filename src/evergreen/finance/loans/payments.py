"""Closed-form private-lending maths: payment, balance and the lender's yield with points.

Rates are annual fractions (0.12 is 12%) paid monthly at ``annual_rate / 12`` per month; money
is float and unrounded (round at the edge that shows it). The dated model with draws, day
counts, late fees and payoff quotes lives in :mod:`evergreen.finance.loans.schedule`.
"""

from __future__ import annotations

import math

from evergreen.finance.cashflows import irr
from evergreen.finance.errors import FinanceInputError
from evergreen.finance.inputs import (
    checked_amount,
    checked_annual_rate,
    checked_months,
)

__all__ = ["balance", "lender_yield", "payment"]


def payment(principal: float, annual_rate: float, amortization_months: int) -> float:
    """Level monthly payment that repays ``principal`` with interest over the amortisation."""
    amount = checked_amount("principal", principal)
    rate = checked_annual_rate(annual_rate) / 12
    months = checked_months("amortization_months", amortization_months)
    if rate == 0:
        return amount / months
    return amount * rate / -math.expm1(-months * math.log1p(rate))


def balance(
    principal: float, annual_rate: float, amortization_months: int, after_months: int
) -> float:
    """Principal still owed after ``after_months`` level payments: what a balloon must repay."""
    amount = checked_amount("principal", principal)
    rate = checked_annual_rate(annual_rate) / 12
    months = checked_months("amortization_months", amortization_months)
    paid = checked_months("after_months", after_months, minimum=0)
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
    amount = checked_amount("principal", principal)
    rate = checked_annual_rate(annual_rate)
    term = checked_months("months", months)
    fee = checked_amount("points", points, positive=False)
    if fee >= 100:
        raise FinanceInputError("points", f"must be below 100 (2.0 is 2% of principal; got {fee})")
    if amortization_months is None:
        flows = [amount * rate / 12] * term
        flows[-1] += amount
    else:
        amortization = checked_months("amortization_months", amortization_months)
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
