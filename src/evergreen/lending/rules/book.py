"""Figures of one loan and of the book: payoff quote, loan-to-cost, loan-to-ARV, weighted
average rate and the book's XIRR (as Excel's XIRR computes it, on actual/365 years)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from evergreen.finance.cashflows import xirr
from evergreen.finance.errors import FinanceInputError
from evergreen.finance.loans.daycount import add_months
from evergreen.lending.rules.amounts import ZERO, to_cents
from evergreen.lending.rules.interest import LoanState, accrue, interest_base, per_diem
from evergreen.lending.rules.terms import LoanTerms

__all__ = ["PayoffQuote", "PrepaymentTerms", "book_xirr", "loan_to_arv", "loan_to_cost",
           "payoff_quote", "prepayment_charge", "weighted_rate"]  # fmt: skip


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

    def contract(self) -> dict[str, float]:
        """The CLI's and API's payoff: interest includes default interest; money as JSON
        numbers rounded to the cent, as the finance area's commands print it."""
        return {
            "principal": _cents(self.principal),
            "interest": _cents(self.interest + self.default_interest),
            "fees": _cents(self.fees),
            "total": _cents(self.total),
            "per_diem": _cents(self.per_diem),
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


class PrepaymentTerms(Protocol):
    """What the prepayment charge reads of a note: its terms, or a loan's row (the book)."""

    @property
    def principal(self) -> Decimal: ...

    @property
    def annual_rate(self) -> Decimal: ...

    @property
    def start(self) -> date: ...

    @property
    def maturity(self) -> date: ...

    @property
    def min_interest_months(self) -> int: ...

    @property
    def prepay_pct(self) -> Decimal: ...

    @property
    def prepay_months(self) -> int: ...


def prepayment_charge(
    terms: PrepaymentTerms, balance: Decimal, on: date, interest_earned: Decimal
) -> Decimal:
    """What the note's prepayment terms add to a payoff before maturity: the shortfall of the
    minimum interest (the note rate on the note amount for `min_interest_months`, less the
    interest earned through the payoff) plus the premium (`prepay_pct` of the principal
    repaid) within the first `prepay_months`. Nothing at or after maturity."""
    if on >= terms.maturity or balance <= 0:
        return ZERO
    charge = ZERO
    if terms.min_interest_months:
        months = Decimal(terms.min_interest_months)
        minimum = to_cents(terms.principal * terms.annual_rate * months / 12)
        charge += max(ZERO, minimum - interest_earned)
    if terms.prepay_pct and on < add_months(terms.start, terms.prepay_months):
        charge += to_cents(balance * terms.prepay_pct)
    return charge


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


def _cents(amount: Decimal) -> float:
    """A JSON number with at most two decimals (the float nearest the rounded Decimal)."""
    return float(amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
