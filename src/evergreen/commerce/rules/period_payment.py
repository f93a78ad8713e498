"""One open payment per period's order, as Stripe Billing keeps one PaymentIntent per invoice.

A past-due period can be paid two ways at once: the renewal task's retry charging the saved card
off-session, and the buyer paying the period themselves (`pay_period`). Each looks at the
payment the order already has before making another, so a second charge is never made while the
first can still succeed, and the order's payment id is never replaced while its payment can:

| the order's payment         | the renewal retry          | the buyer's "pay now"          |
|-----------------------------|----------------------------|--------------------------------|
| none, failed or canceled    | charge the saved method    | a fresh payment                |
| opened, not confirmed       | cancel it, then charge     | the buyer's: shown again;      |
|                             |                            | a retry's: cancel, then open   |
| requires action (the bank)  | wait: no charge            | shown again (they confirm it)  |
| processing                  | wait: no charge            | refused: it is being processed |
| succeeded (not yet applied) | applied as paid, no charge | shown again (the page applies) |

A cancel that the provider refuses because the payment moved on (the buyer confirmed it in that
instant) is decided again on what the provider answered.
"""

from __future__ import annotations

from enum import StrEnum

from evergreen.commerce.rules.payments import PaymentStatus

__all__ = [
    "BUYER", "PAYER", "BuyerStep", "RetryStep", "asks_the_bank", "buyer_step", "retry_step",
]  # fmt: skip

PAYER = "payer"  # the metadata key naming who opened a period's payment
BUYER = "buyer"  # ... the buyer, for Stripe.js (the card is saved for the renewals)


class RetryStep(StrEnum):
    """What the renewal retry does about the period's order's payment."""

    CHARGE = "charge"  # nothing can succeed any more: charge the saved method
    CANCEL_THEN_CHARGE = "cancel_then_charge"  # close the open one first, so one can succeed
    WAIT = "wait"  # one is in progress: no second charge
    APPLY = "apply"  # it succeeded: mark the order paid, charge nothing


class BuyerStep(StrEnum):
    """What the buyer's "pay now" does about the period's order's payment."""

    OPEN = "open"  # a fresh payment for the buyer
    CANCEL_THEN_OPEN = "cancel_then_open"  # a retry's unconfirmed charge is closed first
    REUSE = "reuse"  # the order's payment stays; its page shows it (or applies it)
    REFUSE = "refuse"  # it is being processed: wait for its outcome


def retry_step(status: PaymentStatus | None) -> RetryStep:
    """The retry's step for the order's payment (None: it has none)."""
    if status is None or status in (PaymentStatus.FAILED, PaymentStatus.CANCELED):
        return RetryStep.CHARGE
    if status is PaymentStatus.SUCCEEDED:
        return RetryStep.APPLY
    if status is PaymentStatus.PENDING:
        return RetryStep.CANCEL_THEN_CHARGE
    return RetryStep.WAIT  # processing, requires_action


def buyer_step(status: PaymentStatus | None, opened_by_buyer: bool) -> BuyerStep:
    """The buyer's step for the order's payment (None: it has none); `opened_by_buyer` says
    whether that payment was opened for the buyer's browser (else by a renewal charge)."""
    if status is None or status in (PaymentStatus.FAILED, PaymentStatus.CANCELED):
        return BuyerStep.OPEN
    if status is PaymentStatus.PROCESSING:
        return BuyerStep.REFUSE
    if status is PaymentStatus.PENDING and not opened_by_buyer:
        return BuyerStep.CANCEL_THEN_OPEN  # an off-session charge cannot save the buyer's card
    return BuyerStep.REUSE  # pending (theirs), requires_action, succeeded


def asks_the_bank(status: PaymentStatus | None, *, upsell: bool) -> bool:
    """Whether an order's page confirms its open payment with the buyer's bank (Stripe.js, 3-D
    Secure) instead of asking for a card: an upsell charged the card already used, and any
    payment the bank holds for the buyer (a renewal's charge, or their own "pay now" left at
    the bank)."""
    return upsell or status is PaymentStatus.REQUIRES_ACTION
