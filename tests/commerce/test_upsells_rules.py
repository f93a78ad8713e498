"""The upsells' pure rules, without a database: keys, what a step sells, which orders may be
charged again in one click."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.rules.upsells import (
    ONE_CLICK_WINDOW,
    UpsellStep,
    charge_key,
    check_parent,
    customer_key,
    one_click_ready,
    role_of,
    upsell_key,
)

numbers = st.text("0123456789ABCDEF", min_size=12, max_size=12)
steps = st.integers(min_value=1, max_value=10**9)
PAID = datetime(2026, 12, 5, 20, 0, tzinfo=UTC)
SOON = PAID + timedelta(minutes=3)


@given(numbers, steps, numbers, steps)
def test_one_key_per_order_and_step(a: str, i: int, b: str, j: int) -> None:
    assert upsell_key(a, i) == upsell_key(a, i)  # a replay finds the first order
    assert (upsell_key(a, i) == upsell_key(b, j)) == ((a, i) == (b, j))
    assert len(upsell_key(a, i)) <= 100  # fits the checkout_key column
    assert charge_key(upsell_key(a, i)) == charge_key(upsell_key(a, i))
    assert len(charge_key(upsell_key(a, i))) <= 255  # Stripe's idempotency key limit


def test_keys_name_their_use() -> None:
    assert upsell_key("ABC123", 7) == "upsell-ABC123-7"
    assert charge_key("upsell-ABC123-7") == "evergreen-upsell-ABC123-7"
    assert customer_key("nonce-1") == "evergreen-customer-nonce-1"
    assert customer_key("nonce-1") != charge_key("nonce-1")
    with pytest.raises(CommerceInputError):
        upsell_key("", 7)
    with pytest.raises(CommerceInputError):
        upsell_key("ABC", 0)


@pytest.mark.parametrize(
    ("kind", "sold"),
    [("upsell", (5, "upsell")), ("downsell", (5, "downsell"))],
)
def test_an_offer_step_sells_its_product_in_its_role(kind: str, sold: tuple[int, str]) -> None:
    assert role_of(UpsellStep(1, 2, kind, 5, "A")) == sold


@pytest.mark.parametrize("kind", ["order", "sales", "thankyou", "optin", ""])
def test_other_steps_sell_nothing_in_one_click(kind: str) -> None:
    with pytest.raises(CommerceInputError) as refused:
        role_of(UpsellStep(1, 2, kind, 5))
    assert refused.value.field == "step"


def test_an_offer_without_a_product_is_refused() -> None:
    with pytest.raises(CommerceInputError) as refused:
        role_of(UpsellStep(1, 2, "upsell", None))
    assert refused.value.field == "product_id"


@pytest.mark.parametrize("status", ["paid", "partially_refunded"])
def test_a_paid_front_end_order_of_this_funnel_takes_offers(status: str) -> None:
    check_parent(status, None, 3, 3, PAID, SOON)
    check_parent(status, None, 3, 3, PAID, PAID + ONE_CLICK_WINDOW)  # to the minute


def test_one_click_ends_with_its_window() -> None:
    with pytest.raises(CommerceInputError, match="expired") as late:
        check_parent("paid", None, 3, 3, PAID, PAID + ONE_CLICK_WINDOW + timedelta(seconds=1))
    assert late.value.field == "order"
    with pytest.raises(CommerceInputError, match="not paid"):
        check_parent("paid", None, 3, 3, None, SOON)  # paid, but when is unknown


@pytest.mark.parametrize(
    ("status", "parent", "funnel", "words"),
    [
        ("pending", None, 3, "not paid"),
        ("failed", None, 3, "not paid"),
        ("cancelled", None, 3, "not paid"),
        ("refunded", None, 3, "not paid"),
        ("paid", 9, 3, "first order"),  # an upsell's own link
        ("paid", None, 4, "not made in this funnel"),
        ("paid", None, None, "not made in this funnel"),
    ],
)
def test_a_child_of_an_unpaid_refunded_or_foreign_order_is_refused(
    status: str, parent: int | None, funnel: int | None, words: str
) -> None:
    with pytest.raises(CommerceInputError, match=words) as refused:
        check_parent(status, parent, funnel, 3, PAID, SOON)
    assert refused.value.field == "order"


def test_one_click_needs_the_same_provider_and_a_saved_method() -> None:
    assert one_click_ready("stripe", "stripe", "cus_1", "pi_1")
    assert not one_click_ready(None, "stripe", "cus_1", "pi_1")  # Stripe switched off
    assert not one_click_ready("stripe", "manual", None, "man_1")  # bank transfer
    assert not one_click_ready("stripe", "stripe", None, "pi_1")  # not saved (no upsell)
    assert not one_click_ready("stripe", "stripe", "cus_1", None)
