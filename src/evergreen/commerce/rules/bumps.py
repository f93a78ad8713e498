"""The order bump: which product an order form offers beside its own (a funnel order step's
choice, else the product's), and what may be one. One set of rules for a product's bump, a
step's bump and the bump a buyer ticks, so a bump refused in one place is refused in all."""

from __future__ import annotations

from collections.abc import Iterable

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.rules.cart import CartProduct

__all__ = ["bump_problem", "check_bump", "chosen_bump_id"]


def chosen_bump_id(step_bump_id: int | None, own_bump_id: int | None) -> int | None:
    """The bump an order form offers: its funnel step's choice wins over the product's own."""
    return step_bump_id if step_bump_id is not None else own_bump_id


def bump_problem(main_id: int, bump: CartProduct, currencies: Iterable[str] = ()) -> str | None:
    """Why `bump` cannot be offered beside product `main_id` in these currencies (None: it can):
    the product itself, a subscription, a product not on sale, or one without a one-time price
    in a currency the order is made in."""
    if bump.id == main_id:
        return "a product cannot be its own bump"
    if bump.kind == "subscription":
        return "a subscription cannot be a bump"
    if bump.status != "active":
        return f"{bump.name} is {bump.status}, not on sale; make it active first"
    missing = sorted({code for code in currencies if code not in bump.prices})
    if missing:
        return f"{bump.name} has no price in {', '.join(missing)}; add one first"
    return None


def check_bump(
    main_id: int, bump: CartProduct, currencies: Iterable[str] = (), *, field: str
) -> None:
    """Refuse, by `field`, a bump that `bump_problem` finds wanting."""
    problem = bump_problem(main_id, bump, currencies)
    if problem is not None:
        raise CommerceInputError(field, problem)
