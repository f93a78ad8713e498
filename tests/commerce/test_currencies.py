"""Currencies without cents: prices in whole yen, carts rounded to whole yen, and Stripe asked
for yen (not 100 times as many), on pure rules, the catalog and the real SDK against localstripe."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import stripe
from hypothesis import given
from hypothesis import strategies as st
from stripe._base_address import BaseAddresses

from evergreen.commerce import service
from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.payments import StripeProvider
from evergreen.commerce.rules.billing import prorate
from evergreen.commerce.rules.cart import CartItem, CartProduct, CouponTerms, TaxTerms, price_cart
from evergreen.commerce.rules.currencies import (
    check_whole,
    from_stripe,
    round_to_unit,
    to_stripe,
    unit_cents,
)
from evergreen.commerce.rules.plans import CouponHold, period_price
from evergreen.commerce.service import CouponDraft, PriceDraft, ProductDraft
from evergreen.db import Database
from tests.commerce.localstripe import STRIPE_TEST_KEY, localstripe

__all__ = ["localstripe"]  # the session fixture, imported for pytest

NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)
SAKE = CartProduct(1, "Sake guide", "digital", "active", {"JPY": 99_900, "EUR": 999})
TEA = CartProduct(2, "Tea notes", "digital", "active", {"JPY": 33_300})


def test_units_and_stripe_amounts_per_currency() -> None:
    assert [unit_cents(c) for c in ("JPY", "krw", "ISK", "EUR", "KWD")] == [100, 100, 100, 1, 1]
    assert to_stripe(100_000, "jpy") == 1000  # ¥1,000 is 1000 for Stripe, not 100000
    assert to_stripe(100_000, "ISK") == 100_000  # two-decimal in Stripe's API, whole krónur
    assert to_stripe(1234, "KWD") == 12_340  # thousandths
    assert to_stripe(1234, "eur") == 1234
    assert [from_stripe(1000, "jpy"), from_stripe(12_340, "kwd"), from_stripe(1234, "usd")] == [
        100_000,
        1234,
        1234,
    ]
    with pytest.raises(CommerceInputError, match="JPY has no fractions") as fraction:
        to_stripe(100_050, "jpy")  # ¥1,000.50 is refused, never rounded into another charge
    assert fraction.value.field == "amount"
    with pytest.raises(CommerceInputError, match="ISK has no fractions"):
        check_whole("amount", 150, "isk")
    assert round_to_unit(Decimal("14985"), "JPY") == 15_000  # ¥149.85 → ¥150
    assert round_to_unit(Decimal("14985"), "EUR") == 14_985


@given(st.integers(min_value=0, max_value=10**12), st.sampled_from(["JPY", "KWD", "EUR", "ISK"]))
def test_a_whole_amount_goes_to_stripe_and_back_unchanged(units: int, currency: str) -> None:
    cents = units * unit_cents(currency)
    assert from_stripe(to_stripe(cents, currency), currency) == cents


def test_a_yen_cart_rounds_discount_and_tax_to_whole_yen() -> None:
    items = [CartItem(SAKE, "main"), CartItem(TEA, "bump")]
    coupon = CouponTerms("SPRING", percent_off=Decimal("15"))
    cart = price_cart(items, "JPY", coupon=coupon, tax=TaxTerms(Decimal("8")), now=NOW)
    assert cart.discount == 20_000  # 15 % of ¥1,332 = ¥199.80 → ¥200, not 19,980 cents
    figures = [cart.subtotal, cart.discount, cart.tax, cart.total]
    figures += [n for line in cart.lines for n in (line.discount, line.tax, line.total)]
    assert all(n % 100 == 0 for n in figures), figures
    assert cart.total == sum(line.total for line in cart.lines)
    assert cart.total == cart.subtotal - cart.discount + cart.tax
    euros = price_cart([CartItem(SAKE, "main")], "EUR", coupon=coupon, now=NOW)
    assert euros.discount == 150  # 15 % of 9.99 = 1.4985 → 1.50: cents as before


def test_yen_subscription_periods_and_prorations_are_whole_yen() -> None:
    third = CouponHold(Decimal("33"), None, None)
    period = period_price(99_900, 1, third, TaxTerms(Decimal("10")), "JPY")
    assert [period.discount % 100, period.tax % 100, period.total % 100] == [0, 0, 0]
    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)
    eleventh = datetime(2026, 1, 12, tzinfo=UTC)
    owed = prorate(100_000, "month", 199_900, "month", (start, end), eleventh, "JPY")
    assert owed % 100 == 0
    assert owed > 0


def _product(db: Database) -> int:
    with db.session() as session:
        return service.add_product(session, ProductDraft(name="Sake guide", kind="digital")).id


def test_prices_and_amount_coupons_in_yen_must_be_whole(db: Database) -> None:
    product = _product(db)
    with db.session() as session, pytest.raises(CommerceInputError) as fraction:
        service.add_price(session, product, PriceDraft(currency="JPY", amount="1000.50"))
    assert fraction.value.field == "amount"
    with db.session() as session, pytest.raises(CommerceInputError) as compare:
        service.add_price(
            session, product, PriceDraft(currency="JPY", amount="1000", compare_at="1200.25")
        )
    assert compare.value.field == "compare_at"
    with db.session() as session:
        assert (
            service.add_price(session, product, PriceDraft("JPY", "1000")).amount_cents == 100_000
        )
        assert service.add_price(session, product, PriceDraft("EUR", "9.99")).amount_cents == 999
    with db.session() as session, pytest.raises(CommerceInputError) as coupon:
        service.add_coupon(session, CouponDraft(code="YEN", amount_off="100.5", currency="JPY"))
    assert coupon.value.field == "amount_off"
    with db.session() as session, pytest.raises(CommerceInputError) as code:
        service.add_coupon(session, CouponDraft(code="bad code!", percent_off="10"))
    assert code.value.field == "code"  # the body's field, not the checkout's "coupon"


def test_stripe_is_asked_for_yen_and_its_yen_read_back_as_cents(
    provider: StripeProvider, localstripe: str
) -> None:
    bases: BaseAddresses = {"api": localstripe}
    sdk = stripe.StripeClient(STRIPE_TEST_KEY, base_addresses=bases)
    payment = provider.create_payment(100_000, "JPY", {}, uuid.uuid4().hex)
    assert sdk.v1.payment_intents.retrieve(payment.id).amount == 1000  # ¥1,000 at Stripe
    assert payment.amount == 100_000  # our cents again
    sdk.v1.payment_intents.update(payment.id, {"payment_method": "pm_card_visa"})
    sdk.v1.payment_intents.confirm(payment.id)
    refund = provider.refund(payment.id, 30_000, uuid.uuid4().hex)
    assert refund.amount == 30_000
    assert sdk.v1.refunds.retrieve(refund.id).amount == 300
    assert provider.retrieve(payment.id).amount_refunded == 30_000
    with pytest.raises(CommerceInputError, match="whole amount"):
        provider.create_payment(100_050, "JPY", {}, uuid.uuid4().hex)
