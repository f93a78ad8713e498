"""Figures of one loan and of the book: payoff quote, loan-to-cost, loan-to-ARV, weighted
average rate and the book's XIRR (as Excel's XIRR computes it, on actual/365 years)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from evergreen.finance.cashflows import xirr
from evergreen.finance.errors import FinanceInputError
from evergreen.lending.rules.amounts import ZERO
from evergreen.lending.rules.interest import LoanState, accrue, interest_base, per_diem
from evergreen.lending.rules.terms import LoanTerms

__all__ = ["PayoffQuote", "book_xirr", "loan_to_arv", "loan_to_cost", "payoff_quote",
           "weighted_rate"]  # fmt: skip


@dataclass(frozen=True)
class PayoffQuote:
    """What closes the loan on a day, and what each further day adds (the per diem)."""

    as_of: date
    principal: Decimal
    interest: Decimal  # regular interest accrued and unpaid
    default_interest: Decimal
    fees: Decimal
    per_diem: Decimal

    @property
    def total(self) -> Decimal:
        """The payoff amount."""
        return self.principal + self.interest + self.default_interest + self.fees

    def contract(self) -> dict[str, str]:
        """The CLI's and API's payoff: interest includes default interest, money in cents."""
        return {
            "principal": f"{self.principal:.2f}",
            "interest": f"{self.interest + self.default_interest:.2f}",
            "fees": f"{self.fees:.2f}",
            "total": f"{self.total:.2f}",
            "per_diem": f"{self.per_diem:.2f}",
        }


def payoff_quote(
    state: LoanState, terms: LoanTerms, as_of: date, default_start: date | None
) -> PayoffQuote:
    """The payoff on `as_of`: principal, interest accrued since it was last counted (by the
    day count) plus interest owed, default interest, fees; per diem at the note rate (and the
    default rate once in default) on what interest runs on."""
    now = accrue(state, terms, as_of, default_start)
    rate = terms.annual_rate
    if default_start is not None and terms.default_rate is not None and default_start < as_of:
        rate = terms.default_rate
    return PayoffQuote(
        as_of, now.balance, now.interest, now.default_interest, now.fees,
        per_diem(interest_base(now, terms), rate, terms.day_count),
    )  # fmt: skip


def loan_to_cost(loan: Decimal, purchase: Decimal | None, rehab: Decimal | None) -> Decimal | None:
    """The loan over purchase price plus rehab budget (a fraction, 4 places); None unknown."""
    cost = (purchase or ZERO) + (rehab or ZERO)
    return (loan / cost).quantize(Decimal("0.0001")) if cost > 0 else None


def loan_to_arv(loan: Decimal, arv: Decimal | None) -> Decimal | None:
    """The loan over the after-repair value (a fraction, 4 places); None when unknown."""
    return (loan / arv).quantize(Decimal("0.0001")) if arv else None


def weighted_rate(loans: Sequence[tuple[Decimal, Decimal]]) -> Decimal | None:
    """Rates weighted by principal outstanding, (balance, rate) pairs; None with nothing out."""
    out = sum((balance for balance, _ in loans), ZERO)
    if out <= 0:
        return None
    return (sum((b * r for b, r in loans), ZERO) / out).quantize(Decimal("0.000001"))


def book_xirr(flows: Sequence[tuple[date, Decimal]]) -> float | None:
    """XIRR of dated flows (out negative, in positive); None when there is no yield to find
    (no flows, or flows that never change sign)."""
    nonzero = [(day, float(amount)) for day, amount in flows if amount != 0]
    if not any(a < 0 for _, a in nonzero) or not any(a > 0 for _, a in nonzero):
        return None
    try:
        return xirr(nonzero)
    except FinanceInputError:
        return None
