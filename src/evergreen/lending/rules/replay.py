"""A loan's position on any day, replayed from its movements: the same steps the service takes
as each movement happens, so a quote for a past day agrees with what stood then."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from evergreen.lending.rules.allocation import Allocation
from evergreen.lending.rules.amounts import ZERO
from evergreen.lending.rules.interest import LoanState, accrue, opening_state
from evergreen.lending.rules.terms import LoanTerms

__all__ = ["Fact", "apply", "replay"]

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
