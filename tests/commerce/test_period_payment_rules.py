"""One open payment per period's order: what the renewal retry and the buyer's "pay now" do
about the payment the order already has, for every status it can be in."""

from __future__ import annotations

import pytest

from evergreen.commerce.rules.payments import PaymentStatus
from evergreen.commerce.rules.period_payment import (
    BuyerStep,
    RetryStep,
    asks_the_bank,
    buyer_step,
    retry_step,
)


@pytest.mark.parametrize(
    ("status", "step"),
    [
        (None, RetryStep.CHARGE),
        (PaymentStatus.FAILED, RetryStep.CHARGE),
        (PaymentStatus.CANCELED, RetryStep.CHARGE),
        (PaymentStatus.PENDING, RetryStep.CANCEL_THEN_CHARGE),
        (PaymentStatus.REQUIRES_ACTION, RetryStep.WAIT),
        (PaymentStatus.PROCESSING, RetryStep.WAIT),
        (PaymentStatus.SUCCEEDED, RetryStep.APPLY),
    ],
)
def test_the_retry_charges_only_when_no_payment_of_the_period_can_succeed(
    status: PaymentStatus | None, step: RetryStep
) -> None:
    assert retry_step(status) is step


@pytest.mark.parametrize(
    ("status", "by_buyer", "step"),
    [
        (None, False, BuyerStep.OPEN),
        (PaymentStatus.FAILED, True, BuyerStep.OPEN),
        (PaymentStatus.CANCELED, False, BuyerStep.OPEN),
        (PaymentStatus.PENDING, True, BuyerStep.REUSE),
        (PaymentStatus.PENDING, False, BuyerStep.CANCEL_THEN_OPEN),
        (PaymentStatus.REQUIRES_ACTION, False, BuyerStep.REUSE),
        (PaymentStatus.REQUIRES_ACTION, True, BuyerStep.REUSE),
        (PaymentStatus.PROCESSING, False, BuyerStep.REFUSE),
        (PaymentStatus.PROCESSING, True, BuyerStep.REFUSE),
        (PaymentStatus.SUCCEEDED, False, BuyerStep.REUSE),
    ],
)
def test_the_buyer_gets_a_fresh_payment_only_when_none_of_the_period_can_succeed(
    status: PaymentStatus | None, by_buyer: bool, step: BuyerStep
) -> None:
    assert buyer_step(status, by_buyer) is step


@pytest.mark.parametrize("status", list(PaymentStatus))
def test_a_new_payment_is_made_only_where_the_old_one_cannot_succeed(
    status: PaymentStatus,
) -> None:
    """Never two payments that can both succeed: a new one only after failed or canceled."""
    can_succeed = status not in (PaymentStatus.FAILED, PaymentStatus.CANCELED)
    assert (retry_step(status) is RetryStep.CHARGE) is not can_succeed
    for by_buyer in (True, False):
        assert (buyer_step(status, by_buyer) is BuyerStep.OPEN) is not can_succeed


@pytest.mark.parametrize(
    ("status", "upsell", "asks"),
    [
        (None, True, True),
        (PaymentStatus.PENDING, True, True),
        (PaymentStatus.REQUIRES_ACTION, False, True),
        (PaymentStatus.PENDING, False, False),
        (PaymentStatus.PROCESSING, False, False),
        (None, False, False),
    ],
)
def test_the_page_asks_the_bank_for_an_upsell_or_a_payment_the_bank_holds(
    status: PaymentStatus | None, upsell: bool, asks: bool
) -> None:
    assert asks_the_bank(status, upsell=upsell) is asks
