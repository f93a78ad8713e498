"""The cart priced without a database: lines from the catalog's prices, a coupon's discount
(never below zero, on one product or the whole cart), inclusive or exclusive tax, and cents
that add up exactly; each refusal names its field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.rules.cart import (
    CartItem,
    CartProduct,
    CouponTerms,
    TaxTerms,
    price_cart,
    share,
)
from evergreen.commerce.rules.checkout import (
    check_buyer_email,
    order_token,
    read_order_token,
    refund_shares,
    status_after_refund,
)

NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)
BOOK = CartProduct(1, "Book", "digital", "active", {"EUR": 2900, "USD": 3100})
WORKBOOK = CartProduct(2, "Workbook", "digital", "active", {"EUR": 900})


def _items(*products: CartProduct) -> list[CartItem]:
    return [CartItem(p, "main" if i == 0 else "bump") for i, p in enumerate(products)]


def test_a_main_product_and_a_bump_priced_from_the_catalog() -> None:
    cart = price_cart(_items(BOOK, WORKBOOK), "EUR", now=NOW)
    assert [(line.role, line.unit, line.total) for line in cart.lines] == [
        ("main", 2900, 2900),
        ("bump", 900, 900),
    ]
    assert (cart.subtotal, cart.discount, cart.tax, cart.total) == (3800, 0, 0, 3800)


def test_exclusive_tax_is_added_and_inclusive_tax_carved_out() -> None:
    added = price_cart(_items(BOOK), "EUR", tax=TaxTerms(Decimal(19)), now=NOW)
    assert (added.tax, added.total) == (551, 3451)
    carved = price_cart(_items(BOOK), "EUR", tax=TaxTerms(Decimal(19), inclusive=True), now=NOW)
    assert (carved.tax, carved.total, carved.tax_inclusive) == (463, 2900, True)  # 2900 - 2437


def test_a_percent_coupon_on_one_product_and_an_amount_coupon_on_the_cart() -> None:
    only_book = CouponTerms("BOOK10", percent_off=Decimal(10), product_id=1)
    cart = price_cart(_items(BOOK, WORKBOOK), "EUR", coupon=only_book, now=NOW)
    assert [line.discount for line in cart.lines] == [290, 0]
    assert (cart.discount, cart.total, cart.coupon_code) == (290, 3510, "BOOK10")
    five = CouponTerms("FIVE", amount_off=500, currency="EUR")
    shared = price_cart(_items(BOOK, WORKBOOK), "EUR", coupon=five, now=NOW)
    assert [line.discount for line in shared.lines] == [382, 118]
    huge = CouponTerms("ALL", amount_off=99_999, currency="EUR")
    free = price_cart(_items(BOOK), "EUR", coupon=huge, now=NOW)
    assert (free.discount, free.total) == (2900, 0)  # never below zero


@pytest.mark.parametrize(
    ("items", "currency", "coupon", "field"),
    [
        ([CartItem(None)], "EUR", None, "product"),
        (
            [CartItem(CartProduct(3, "Old", "digital", "paused", {"EUR": 1}))],
            "EUR",
            None,
            "product",
        ),
        (
            [CartItem(CartProduct(4, "Club", "subscription", "active", {"EUR": 1}))],
            "EUR",
            None,
            "product",
        ),
        (_items(WORKBOOK), "USD", None, "currency"),
        (
            _items(BOOK),
            "EUR",
            CouponTerms("OLD", Decimal(5), expires_at=NOW - timedelta(1)),
            "coupon",
        ),
        (
            _items(BOOK),
            "EUR",
            CouponTerms("GONE", Decimal(5), max_redemptions=3, redemptions=3),
            "coupon",
        ),
        (_items(BOOK), "EUR", CouponTerms("WB", Decimal(5), product_id=2), "coupon"),
        (_items(BOOK), "EUR", CouponTerms("USD5", amount_off=500, currency="USD"), "coupon"),
        ([], "EUR", None, "product"),
        ([CartItem(BOOK), CartItem(BOOK, "bump")], "EUR", None, "product"),
        ([CartItem(BOOK, quantity=0)], "EUR", None, "quantity"),
    ],
)
def test_refusals_name_their_field(
    items: list[CartItem], currency: str, coupon: CouponTerms | None, field: str
) -> None:
    with pytest.raises(CommerceInputError) as refused:
        price_cart(items, currency, coupon=coupon, now=NOW)
    assert refused.value.field == field


@given(
    st.lists(st.integers(1, 10_000_000), min_size=1, max_size=4),
    st.integers(0, 10_000_000),
    st.decimals(0, 30, places=2),
    st.booleans(),
    st.one_of(st.none(), st.decimals(Decimal("0.01"), 100, places=2)),
)
def test_cents_always_add_up(
    units: list[int], off: int, percent: Decimal, inclusive: bool, percent_off: Decimal | None
) -> None:
    products = [
        CartProduct(i + 1, f"P{i}", "digital", "active", {"EUR": u}) for i, u in enumerate(units)
    ]
    coupon = (
        CouponTerms("C", percent_off=percent_off)
        if percent_off is not None
        else CouponTerms("C", amount_off=off or 1)
    )
    cart = price_cart(
        _items(*products), "EUR", coupon=coupon, tax=TaxTerms(percent, inclusive), now=NOW
    )
    assert cart.total == sum(line.total for line in cart.lines)
    assert all(
        line.discount <= line.unit and line.total >= 0 and line.tax >= 0 for line in cart.lines
    )
    assert cart.discount <= cart.subtotal
    if inclusive:
        assert cart.total == cart.subtotal - cart.discount
    else:
        assert cart.total == cart.subtotal - cart.discount + cart.tax


@given(st.integers(0, 10**9), st.lists(st.integers(0, 10**6), min_size=1, max_size=6))
def test_shares_add_up(amount: int, weights: list[int]) -> None:
    parts = share(amount, weights)
    assert sum(parts) == (amount if sum(weights) else 0)
    assert refund_shares(amount, weights) == share(min(amount, sum(weights)), weights)


def test_order_links_are_signed_and_statuses_follow_refunds() -> None:
    token = order_token("s3cret", "AB12CD34EF56")
    assert read_order_token("s3cret", token) == "AB12CD34EF56"
    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), "AB12CD34EF56", "", "x.y"):
        with pytest.raises(CommerceInputError):
            read_order_token("s3cret", bad)
    with pytest.raises(CommerceInputError):
        read_order_token("other", token)
    assert [status_after_refund(100, r) for r in (0, 40, 100)] == [
        "paid", "partially_refunded", "refunded",
    ]  # fmt: skip
    assert check_buyer_email(" Ann@Example.COM ") == "Ann@example.com"
    with pytest.raises(CommerceInputError):
        check_buyer_email("not an email")
