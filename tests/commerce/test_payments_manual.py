"""The manual provider: a bank transfer waits for the owner, then behaves like any payment."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.payments import ManualProvider, MemoryInbox, OffSession, Provider
from evergreen.commerce.rules.payments import EventKind, PaymentStatus
from evergreen.errors import NotFound


def test_a_transfer_is_pending_until_the_owner_marks_it_paid() -> None:
    manual = ManualProvider()
    provider: Provider = manual  # the same interface checkout uses for Stripe
    payment = provider.create_payment(12000, "EUR", {"order": "o-5"}, "key-1")
    assert provider.create_payment(12000, "EUR", {"order": "o-5"}, "key-1").id == payment.id
    assert payment.status is PaymentStatus.PENDING
    assert (payment.amount, payment.currency) == (12000, "eur")
    event = manual.mark_paid(payment.id)
    assert (event.kind, event.payment_id, event.amount, event.currency) == (
        EventKind.SUCCEEDED,
        payment.id,
        12000,
        "eur",
    )
    assert event.metadata == {"order": "o-5"}
    assert provider.retrieve(payment.id).status is PaymentStatus.SUCCEEDED
    inbox = MemoryInbox()
    assert inbox.first_time(manual.name, event.id)
    assert not inbox.first_time(manual.name, manual.mark_paid(payment.id).id)  # marked twice


def test_manual_refunds_partial_then_rest_once_per_key() -> None:
    manual = ManualProvider()
    payment = manual.create_payment(5000, "usd", {}, "k")
    with pytest.raises(CommerceInputError, match="only a paid payment"):
        manual.refund(payment.id, 100, "r0")
    manual.mark_paid(payment.id)
    part = manual.refund(payment.id, 2000, "r1")
    assert manual.refund(payment.id, 2000, "r1") == part
    assert manual.retrieve(payment.id).amount_refunded == 2000
    assert manual.refund(payment.id, None, "r2").amount == 3000
    with pytest.raises(CommerceInputError, match="already fully refunded"):
        manual.refund(payment.id, None, "r3")


def test_manual_cannot_do_what_a_bank_transfer_cannot() -> None:
    manual = ManualProvider()
    upsell = manual.charge_saved("c", "m", 900, "eur", {}, "k")
    assert upsell.outcome is OffSession.FAILED
    assert "invoice" in upsell.message
    with pytest.raises(CommerceInputError) as hook:
        manual.parse_webhook(b"{}", "", datetime.now(UTC))
    assert hook.value.field == "provider"
    with pytest.raises(NotFound):
        manual.retrieve("man_missing")
    payment = manual.create_payment(900, "eur", {}, "c1")
    assert manual.cancel(payment.id).status is PaymentStatus.CANCELED
    with pytest.raises(CommerceInputError, match="canceled"):
        manual.mark_paid(payment.id)
    paid = manual.create_payment(900, "eur", {}, "c2")
    manual.mark_paid(paid.id)
    with pytest.raises(CommerceInputError, match="refunded, not canceled"):
        manual.cancel(paid.id)
    with pytest.raises(CommerceInputError) as amount:
        manual.create_payment(10, "euro", {}, "c3")
    assert amount.value.field == "currency"
