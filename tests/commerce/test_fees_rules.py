"""Payment-fee rules without a database: Stripe's fee stated in the order's currency, and an
order's fee recorded only once it is paid and only the first time."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evergreen.commerce.rules.fees import (
    NO_FEE_PROVIDERS,
    fee_in_currency,
    fee_known_when_paid,
    fee_to_record,
)


@pytest.mark.parametrize(
    ("fee", "fee_currency", "currency", "rate", "expected"),
    [
        (148, "eur", "EUR", None, 148),  # settled in the charge's currency
        (148, None, "eur", None, 148),
        (None, "eur", "eur", None, None),  # no balance transaction yet
        (-1, "eur", "eur", None, None),  # nonsense is not a fee
        (0, "eur", "eur", None, 0),
        (135, "usd", "eur", 1.08, 125),  # 1.35 USD at 1.08 USD per EUR: 1.25 EUR
        (101, "usd", "eur", Decimal("2"), 51),  # 50.5 rounds half up
        (135, "usd", "eur", None, None),  # another currency without a rate: not stated
        (135, "usd", "eur", 0, None),
    ],
)
def test_the_fee_is_stated_in_the_payments_currency(
    fee: int | None,
    fee_currency: str | None,
    currency: str,
    rate: float | Decimal | None,
    expected: int | None,
) -> None:
    assert fee_in_currency(fee, fee_currency, currency, rate) == expected


@given(st.integers(min_value=0, max_value=10**9))
def test_a_fee_in_the_same_currency_is_unchanged(fee: int) -> None:
    assert fee_in_currency(fee, "EUR", "eur", 1.3) == fee


@given(
    st.integers(min_value=0, max_value=10**9),
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal(100), places=6),
)
def test_a_converted_fee_is_within_half_a_cent(fee: int, rate: Decimal) -> None:
    converted = fee_in_currency(fee, "usd", "eur", rate)
    assert converted is not None
    assert abs(Decimal(converted) - Decimal(fee) / rate) <= Decimal("0.5")


@pytest.mark.parametrize(
    ("paid", "known", "fee", "expected"),
    [
        (True, False, 148, 148),
        (True, False, 0, 0),  # a known zero fee is still learned (the marker is set)
        (True, True, 148, None),  # once: a second look changes nothing
        (False, False, 148, None),  # not paid: Stripe may know, the order does not count it
        (True, False, None, None),  # Stripe does not know yet: asked again later
        (True, False, -5, None),
    ],
)
def test_a_fee_is_recorded_once_on_a_paid_order(
    paid: bool, known: bool, fee: int | None, expected: int | None
) -> None:
    assert fee_to_record(paid=paid, known=known, fee=fee) == expected


def test_a_bank_transfer_or_a_free_order_has_no_fee_to_learn() -> None:
    assert "manual" in NO_FEE_PROVIDERS
    assert fee_known_when_paid("manual", 4070)
    assert fee_known_when_paid("stripe", 0)  # a 100 % coupon: nothing was charged
    assert not fee_known_when_paid("stripe", 4070)  # Stripe states it, maybe later
