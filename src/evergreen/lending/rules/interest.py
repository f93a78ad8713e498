"""Interest as lenders compute it: per diem, accrual between dates by the note's day count,
interest on drawn funds or on the whole commitment (Dutch), and default interest.

A worked example (the fix-and-flip lender's per-diem line): $150,000 at 12 % on 30/360 accrues
150,000 * 0.12 ÷ 360 = $50.00 a day; on actual/365 it is $49.32 a day.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from evergreen.finance.loans.daycount import day_count
from evergreen.lending.rules.allocation import Allocation, Owed
from evergreen.lending.rules.amounts import ZERO, to_cents
from evergreen.lending.rules.terms import BASIS, LoanTerms

__all__ = ["LoanState", "accrue", "accrued", "interest_base", "interest_since", "opening_state",
           "per_diem"]  # fmt: skip


def per_diem(base: Decimal, annual_rate: Decimal, convention: str) -> Decimal:
    """A day's interest in cents: base * rate ÷ the day count's year (360 or 365)."""
    return to_cents(base * annual_rate / BASIS[convention])


def accrued(
    base: Decimal, annual_rate: Decimal, start: date, end: date, convention: str
) -> Decimal:
    """Simple interest from `start` to `end` by the day count, rounded once to the cent."""
    if end <= start or base == 0 or annual_rate == 0:
        return ZERO
    days = day_count(start, end, convention)
    return to_cents(base * annual_rate * days / BASIS[convention])


def interest_since(
    base: Decimal,
    annual_rate: Decimal,
    default_rate: Decimal | None,
    since: date,
    day: date,
    convention: str,
    default_from: date | None,
) -> tuple[Decimal, Decimal]:
    """Interest and default interest (the premium over the note rate, from `default_from`) on
    `base` from `since` to `day`: what `accrue` adds, on plain values, so that the book can
    count 10,000 loans' interest from their rows without building each note's terms."""
    interest = accrued(base, annual_rate, since, day, convention)
    extra = ZERO
    if default_from is not None and default_rate is not None and default_from < day:
        extra = accrued(base, default_rate - annual_rate, max(default_from, since), day,
                        convention)  # fmt: skip
    return interest, extra


@dataclass(frozen=True)
class LoanState:
    """A loan's running position: principal owed, funds committed but not drawn, interest and
    fees owed, and the day interest has been counted to."""

    balance: Decimal
    undrawn: Decimal
    accrued_to: date
    interest: Decimal = ZERO
    default_interest: Decimal = ZERO
    fees: Decimal = ZERO

    def owed(self) -> Owed:
        """What the borrower owes as of `accrued_to`."""
        return Owed(self.fees, self.default_interest, self.interest, self.balance)

    def paid(self, allocation: Allocation) -> LoanState:
        """The state after a payment settled its parts."""
        return replace(
            self,
            balance=self.balance - allocation.principal,
            interest=self.interest - allocation.interest,
            default_interest=self.default_interest - allocation.default_interest,
            fees=self.fees - allocation.fees,
        )


def opening_state(terms: LoanTerms) -> LoanState:
    """A loan on its start date: the note amount owed, the rest of the commitment undrawn."""
    return LoanState(terms.principal, terms.limit - terms.principal, terms.start)


def interest_base(state: LoanState, terms: LoanTerms) -> Decimal:
    """Interest runs on what is drawn, or (Dutch) on drawn plus undrawn: the whole commitment."""
    return state.balance + state.undrawn if terms.dutch else state.balance


def accrue(state: LoanState, terms: LoanTerms, day: date, default_from: date | None) -> LoanState:
    """Interest (and default interest from `default_from`) counted from `accrued_to` to `day`,
    added to what is owed; called before anything changes the balance, so each stretch of days
    accrues on the balance that stood through it."""
    if day <= state.accrued_to:
        return state
    interest, extra = interest_since(
        interest_base(state, terms), terms.annual_rate, terms.default_rate, state.accrued_to,
        day, terms.day_count, default_from,
    )  # fmt: skip
    return replace(
        state,
        accrued_to=day,
        interest=state.interest + interest,
        default_interest=state.default_interest + extra,
    )
