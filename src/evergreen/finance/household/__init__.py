"""The owner's household: personal residual income and the VA residual-income test."""

from evergreen.finance.household.personal import (
    MAINTENANCE_PER_SQUARE_FOOT,
    MAX_DOLLARS,
    REGIONS,
    STATE_REGIONS,
    ResidualIncome,
    VAHousehold,
    VAResult,
    evaluate_va,
    months_to_financial_independence,
    personal_residual_income,
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
