"""The order bump's rules without a database: a funnel order step's bump wins over the product's
own, and a bump is refused (by the caller's field) when it is the product itself, a
subscription, not on sale, or without a price in the order's currency."""

from __future__ import annotations

import pytest

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.rules.bumps import bump_problem, check_bump, chosen_bump_id
from evergreen.commerce.rules.cart import CartProduct

BOOK = 1
WORKBOOK = CartProduct(2, "Workbook", "digital", "active", {"EUR": 900, "USD": 1000})


@pytest.mark.parametrize(
    ("step_bump", "own_bump", "offered"),
    [(7, 3, 7), (7, None, 7), (None, 3, 3), (None, None, None), (3, 3, 3)],
)
def test_a_steps_bump_wins_over_the_products_own(
    step_bump: int | None, own_bump: int | None, offered: int | None
) -> None:
    assert chosen_bump_id(step_bump, own_bump) == offered


@pytest.mark.parametrize(
    ("bump", "currencies", "problem"),
    [
        (WORKBOOK, (), None),
        (WORKBOOK, ("EUR", "USD"), None),
        (CartProduct(1, "Book", "digital", "active", {"EUR": 2900}), (), "its own bump"),
        (CartProduct(2, "Club", "subscription", "active", {}), (), "a subscription"),
        (CartProduct(2, "Workbook", "digital", "draft", {"EUR": 900}), (), "is draft, not on sale"),
        (CartProduct(2, "Workbook", "digital", "paused", {"EUR": 900}), (), "paused"),
        (WORKBOOK, ("GBP", "EUR", "CHF"), "Workbook has no price in CHF, GBP"),
    ],
)
def test_what_may_be_a_bump(bump: CartProduct, currencies: tuple[str, ...], problem: str) -> None:
    found = bump_problem(BOOK, bump, currencies)
    if problem is None:
        assert found is None
        check_bump(BOOK, bump, currencies, field="bump_product_id")
        return
    assert found is not None
    assert problem in found
    with pytest.raises(CommerceInputError) as refused:
        check_bump(BOOK, bump, currencies, field="bump")
    assert (refused.value.field, refused.value.message) == ("bump", found)
