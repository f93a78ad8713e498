"""A loan's position on any day, replayed from its movements: the same steps the service takes
as each movement happens, so a quote for a past day agrees with what stood then."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from evergreen.lending.errors import LendingInputError
from evergreen.lending.rules.allocation import Allocation
from evergreen.lending.rules.amounts import ZERO
from evergreen.lending.rules.interest import LoanState, accrue, opening_state
from evergreen.lending.rules.terms import LoanTerms
from evergreen.lending.rules.waivers import WAIVER

__all__ = ["Fact", "apply", "check_closing_day", "check_payment_day", "fees_after", "replay"]

# Movements that change the balance, so interest is counted to their day first.
_MOVES_BALANCE = frozenset({"draw", "payment", "payoff", "charge_off"})


@dataclass(frozen=True)
class Fact:
    """A stored movement as plain values."""

    kind: str
    on: date
    amount: Decimal
    principal: Decimal = ZERO
    interest: Decimal = ZERO
    default_interest: Decimal = ZERO
    fees: Decimal = ZERO

    @property
    def toward_schedule(self) -> Decimal:
        """What a payment counts toward the expected calendar: interest and principal."""
        if self.kind not in ("payment", "payoff"):
            return ZERO
        return self.principal + self.interest + self.default_interest


def apply(state: LoanState, fact: Fact) -> LoanState:
    """The position after one movement (interest already counted to its day)."""
    if fact.kind == "draw":
        return replace(state, balance=state.balance + fact.principal,
                       undrawn=state.undrawn - fact.principal)  # fmt: skip
    if fact.kind == "fee":
        return replace(state, fees=state.fees + fact.fees)
    if fact.kind == WAIVER:  # the waived part of a fee is no longer owed
        return replace(state, fees=state.fees - fact.fees)
    if fact.kind in ("payment", "payoff"):
        split = Allocation(fact.fees, fact.default_interest, fact.interest, fact.principal)
        return state.paid(split)
    if fact.kind == "charge_off":
        return LoanState(ZERO, ZERO, state.accrued_to)
    return state  # funding (the opening state), closing, recovery: no change to what is owed


def replay(
    terms: LoanTerms,
    facts: Sequence[Fact],
    through: date,
    default_start: Callable[[date], date | None],
) -> LoanState:
    """The position after every movement dated on or before `through`, interest not yet
    counted past the last balance change (a quote counts it to its own day)."""
    state = opening_state(terms)
    for fact in sorted(facts, key=lambda f: f.on):
        if fact.on > through:
            break
        if fact.kind in _MOVES_BALANCE:
            state = accrue(state, terms, fact.on, default_start(fact.on))
        state = apply(state, fact)
    return state


def fees_after(facts: Iterable[Fact], day: date) -> Decimal:
    """Fees charged with a date after `day`: recorded already, but owed only from their own
    date, so a payment or quote on `day` leaves them aside."""
    return sum((f.fees for f in facts if f.kind == "fee" and f.on > day), ZERO)


def check_closing_day(facts: Iterable[Fact], day: date) -> None:
    """Refuse to close a loan (payoff, charge-off) before a fee charged on it: that fee would
    stay owed on a closed loan, or be written off before it was owed; or before a fee waiver."""
    facts = list(facts)
    last = max((f.on for f in facts if f.kind == "fee" and f.on > day), default=None)
    if last is not None:
        raise LendingInputError(
            "date", f"must not be before {last.isoformat()}, the date of the loan's last fee; "
            "close the loan on or after that day"
        )  # fmt: skip
    check_payment_day(facts, day)


def check_payment_day(facts: Iterable[Fact], day: date) -> None:
    """Refuse money received (a payment, a payoff, a charge-off) before a fee waiver already
    recorded: the waiver took its fee off what was owed from its own day, so a payment dated
    earlier would be split as if the fee had been waived before it was."""
    last = max((f.on for f in facts if f.kind == WAIVER and f.on > day), default=None)
    if last is not None:
        raise LendingInputError(
            "date", f"must not be before {last.isoformat()}, the date of the loan's last fee "
            "waiver; date it on or after that day"
        )  # fmt: skip
