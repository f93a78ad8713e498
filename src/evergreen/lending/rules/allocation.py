"""Where a payment goes: fees, default interest, interest, principal, in a configurable order.

The default order, fees → default interest → interest → principal, is Fineract's and most
servicers': what costs the borrower most to leave unpaid is settled first, principal last.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from evergreen.lending.errors import LendingInputError
from evergreen.lending.rules.amounts import ZERO
from evergreen.money import show_money

__all__ = ["DEFAULT_ORDER", "PARTS", "Allocation", "Owed", "allocate", "read_order"]

PARTS = ("fees", "default_interest", "interest", "principal")
DEFAULT_ORDER: tuple[str, ...] = PARTS


def read_order(text: str) -> tuple[str, ...]:
    """An allocation order such as "interest,fees,default_interest,principal": all four parts,
    each once."""
    parts = tuple(part.strip().replace("-", "_") for part in text.split(",") if part.strip())
    if sorted(parts) != sorted(PARTS):
        raise LendingInputError(
            "allocation", f"must name each of {', '.join(PARTS)} once, in order (got {text!r})"
        )
    return parts


@dataclass(frozen=True)
class Owed:
    """What the borrower owes now, by part."""

    fees: Decimal = ZERO
    default_interest: Decimal = ZERO
    interest: Decimal = ZERO
    principal: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        """Everything owed."""
        return self.fees + self.default_interest + self.interest + self.principal


@dataclass(frozen=True)
class Allocation:
    """A payment split into the parts it settles; the parts sum to the amount."""

    fees: Decimal = ZERO
    default_interest: Decimal = ZERO
    interest: Decimal = ZERO
    principal: Decimal = ZERO

    @property
    def amount(self) -> Decimal:
        """The whole payment."""
        return self.fees + self.default_interest + self.interest + self.principal


def allocate(amount: Decimal, owed: Owed, order: tuple[str, ...] = DEFAULT_ORDER) -> Allocation:
    """Fill each part in order up to what is owed on it; more than everything owed is refused,
    so an overpayment is returned to the borrower, never booked as principal below zero."""
    if amount <= 0:
        raise LendingInputError("amount", f"must be above 0 (got {amount})")
    if amount > owed.total:
        raise LendingInputError(
            "amount",
            f"{show_money(amount)} is more than everything owed ({show_money(owed.total)}); "
            "pay the loan off with its payoff quote instead",
        )
    left, split = amount, {}
    for part in order:
        taken = min(left, getattr(owed, part))
        split[part] = taken
        left -= taken
    return Allocation(**split)
