"""The one interface every payment provider offers, and the plain values it answers with."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from evergreen.commerce.rules.payments import PaymentEvent, PaymentStatus

__all__ = [
    "CardSetup",
    "OffSession",
    "OffSessionResult",
    "Payment",
    "PaymentError",
    "Provider",
    "Refund",
]


class PaymentError(Exception):
    """The provider refused or could not be reached; the message is fit to show a person."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Payment:
    """A payment as the provider holds it; the amount is what the server priced."""

    id: str
    status: PaymentStatus
    amount: int
    currency: str
    amount_refunded: int = 0
    client_secret: str | None = None  # Stripe.js confirms with this in the buyer's browser
    hosted_url: str | None = None  # where the buyer pays (an invoice page for manual payments)
    metadata: dict[str, str] = field(default_factory=dict)
    customer: str | None = None  # the provider's customer, when the payment names one
    payment_method: str | None = None  # the method that paid: charged again off-session
    # What the provider kept, in cents of `currency`; None while it does not know yet.
    fee: int | None = None


@dataclass(frozen=True)
class Refund:
    """A refund made: how much went back, for which payment."""

    id: str
    payment_id: str
    amount: int
    status: str


class OffSession(StrEnum):
    """How a one-click charge of a saved method ended."""

    SUCCEEDED = "succeeded"
    REQUIRES_ACTION = "requires_action"  # the bank wants the buyer: show client_secret to Stripe.js
    FAILED = "failed"


@dataclass(frozen=True)
class OffSessionResult:
    """The outcome of an upsell charge, with what to show the buyer when it did not go through."""

    outcome: OffSession
    payment_id: str | None
    client_secret: str | None = None
    message: str = ""


@dataclass(frozen=True)
class CardSetup:
    """A card saved without a charge (Stripe: a SetupIntent) for later off-session charges."""

    id: str
    status: str  # requires_payment_method, requires_action, succeeded, canceled, …
    client_secret: str | None = None  # Stripe.js confirms the card with this
    customer: str | None = None
    payment_method: str | None = None  # the card saved, once succeeded
    metadata: dict[str, str] = field(default_factory=dict)


class Provider(Protocol):
    """What checkout asks of a provider; each call that moves money carries an idempotency key."""

    name: str

    def create_customer(self, email: str, name: str, idempotency_key: str) -> str:
        """A customer to save a payment method on (the same key twice: the same customer)."""
        ...

    def create_payment(
        self,
        amount: int,
        currency: str,
        metadata: dict[str, str],
        idempotency_key: str,
        customer: str | None = None,
        save_method: bool = False,
    ) -> Payment:
        """Open a payment for a server-priced amount (the same key twice: the same payment);
        save_method keeps the method on the customer for later off-session charges."""
        ...

    def retrieve(self, payment_id: str) -> Payment:
        """The payment as the provider holds it now."""
        ...

    def refund(self, payment_id: str, amount: int | None, idempotency_key: str) -> Refund:
        """Give back part (amount) or the rest (None) of a payment."""
        ...

    def cancel(self, payment_id: str) -> Payment:
        """Close a payment not yet paid so it can no longer succeed; the payment as it stands
        after (Stripe: one that moved on meanwhile, processing or succeeded, stays as it is)."""
        ...

    def charge_saved(
        self,
        customer: str,
        payment_method: str,
        amount: int,
        currency: str,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> OffSessionResult:
        """Charge a saved method without the buyer present (a one-click upsell)."""
        ...

    def create_setup(
        self, customer: str, metadata: dict[str, str], idempotency_key: str
    ) -> CardSetup:
        """Save a new card on a customer without charging it (a subscriber changing cards)."""
        ...

    def retrieve_setup(self, setup_id: str) -> CardSetup:
        """A card setup as the provider holds it now."""
        ...

    def parse_webhook(self, payload: bytes, signature: str, now: datetime) -> PaymentEvent:
        """Verify a webhook's signature and return its event as plain values."""
        ...
