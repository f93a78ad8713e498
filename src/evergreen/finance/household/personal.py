"""Household money: what is left each month, the VA test on it, and the road to independence.

The VA residual income test lives in :mod:`evergreen.finance.household.va` and is re-exported
here, so ``evergreen.finance.household.va_guideline`` is the one name callers need.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from evergreen.finance.errors import FinanceInputError
from evergreen.finance.household.va import (
    MAINTENANCE_PER_SQUARE_FOOT,
    MAX_DOLLARS,
    REGIONS,
    STATE_REGIONS,
    VAHousehold,
    VAResult,
    evaluate_va,
    va_guideline,
    va_region,
)

__all__ = [
    "MAINTENANCE_PER_SQUARE_FOOT",
    "MAX_DOLLARS",
    "REGIONS",
    "STATE_REGIONS",
    "ResidualIncome",
    "VAHousehold",
    "VAResult",
    "evaluate_va",
    "months_to_financial_independence",
    "personal_residual_income",
    "va_guideline",
    "va_region",
]


def _dollars(field: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise FinanceInputError(field, f"must be a finite number of dollars (got {value!r})")
    if value < 0:
        raise FinanceInputError(field, f"must be 0 or more (got {value})")
    if value > MAX_DOLLARS:
        raise FinanceInputError(field, f"must be at most {MAX_DOLLARS:,.0f} (got {value:,})")
    return float(value)


@dataclass(frozen=True)
class ResidualIncome:
    """Monthly money left after taxes, debts and living costs, with the parts that explain it."""

    gross_income: float
    taxes: float
    debt_payments: float
    living_expenses: float
    net_income: float
    residual: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe view for the API and CLI."""
        return asdict(self)


def personal_residual_income(
    gross_income: float, taxes: float, debt_payments: float, living_expenses: float
) -> ResidualIncome:
    """What a household keeps each month: the room it has to save, invest or absorb a shock."""
    gross = _dollars("gross_income", gross_income)
    tax = _dollars("taxes", taxes)
    debts = _dollars("debt_payments", debt_payments)
    living = _dollars("living_expenses", living_expenses)
    return ResidualIncome(
        gross_income=gross,
        taxes=tax,
        debt_payments=debts,
        living_expenses=living,
        net_income=gross - tax,
        residual=gross - math.fsum((tax, debts, living)),
    )


def months_to_financial_independence(
    passive_income: float,
    monthly_expenses: float,
    monthly_growth: float,
    expense_inflation: float = 0.0,
) -> int | None:
    """Months until growing passive income covers expenses; ``None`` when it never does."""
    income = _dollars("passive_income", passive_income)
    expenses = _dollars("monthly_expenses", monthly_expenses)
    for name, rate in (
        ("monthly_growth", monthly_growth),
        ("expense_inflation", expense_inflation),
    ):
        if not math.isfinite(rate) or rate <= -1:
            raise FinanceInputError(name, f"must be a monthly fraction above -1 (got {rate})")
    if income >= expenses:
        return 0
    net_growth = math.log1p(monthly_growth) - math.log1p(expense_inflation)
    if income == 0 or net_growth <= 0:
        return None
    months = max(math.ceil(math.log(expenses / income) / net_growth - 1e-9), 1)

    def covered(month: int) -> bool:
        grown = income * (1 + monthly_growth) ** month
        return grown >= expenses * (1 + expense_inflation) ** month

    # The logarithm can land a hair either side of a whole month; settle it on the real test.
    while not covered(months):
        months += 1
    while months > 1 and covered(months - 1):
        months -= 1
    return months
