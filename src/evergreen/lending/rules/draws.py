"""Construction draws: requested → inspected → approved → funded, each within the budget.

A draw may skip inspection (approved straight from requested) when the lender waives it; it is
funded only once approved. Funding may not take the principal owed past the commitment, nor the
draws past the property's rehab budget.
"""

from __future__ import annotations

from decimal import Decimal

from evergreen.lending.errors import LendingInputError
from evergreen.money import show_money

__all__ = ["DRAW_ACTIONS", "check_draw", "next_status"]

# action → (statuses it may follow, status it leads to)
DRAW_ACTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "inspect": (("requested",), "inspected"),
    "approve": (("requested", "inspected"), "approved"),
    "fund": (("approved",), "funded"),
    "reject": (("requested", "inspected", "approved"), "rejected"),
}


def next_status(status: str, action: str) -> str:
    """The draw's status after an action, or the reason it cannot happen now."""
    if action not in DRAW_ACTIONS:
        raise LendingInputError("action", f"must be one of {', '.join(DRAW_ACTIONS)}")
    before, after = DRAW_ACTIONS[action]
    if status not in before:
        raise LendingInputError("status", f"a {status} draw cannot be {after}; it must be "
                                f"{' or '.join(before)} first")  # fmt: skip
    return after


def check_draw(
    amount: Decimal,
    *,
    undrawn: Decimal,
    rehab_budget: Decimal | None = None,
    rehab_drawn: Decimal = Decimal(0),
) -> Decimal:
    """A draw fits what is left of the commitment and of the rehab budget."""
    if amount <= 0:
        raise LendingInputError("amount", f"must be above 0 (got {amount})")
    if amount > undrawn:
        raise LendingInputError(
            "amount",
            f"{show_money(amount)} is more than what is left of the commitment "
            f"({show_money(undrawn)})",
        )
    if rehab_budget is not None and amount > rehab_budget - rehab_drawn:
        raise LendingInputError(
            "amount", f"{show_money(amount)} is more than what is left of the rehab budget "
            f"({show_money(rehab_budget - rehab_drawn)})",
        )  # fmt: skip
    return amount
