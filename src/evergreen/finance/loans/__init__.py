"""Loan mathematics: payments and balances, dated schedules with points and draws, day counts."""

from evergreen.finance.loans.payments import (
    balance,
    lender_yield,
    payment,
)

__all__ = [
    "balance",
    "lender_yield",
    "payment",
]
