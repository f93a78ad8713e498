"""Bank transfer and invoice: a payment waits until the owner sees the money and marks it paid.

No network and no card: the buyer gets a reference to put on the transfer; the owner marks the
payment paid (or refunds it by hand). Its events have the same shape as Stripe's, so orders
treat both alike. State lives in a store; the orders slice keeps it in a table.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from dataclasses import replace
from datetime import datetime

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.payments.provider import (
    CardSetup,
    OffSession,
    OffSessionResult,
    Payment,
    Refund,
)
from evergreen.commerce.rules.payments import (
    EventKind,
    PaymentEvent,
    PaymentStatus,
    check_charge,
    refund_amount,
)
from evergreen.errors import NotFound

__all__ = ["ManualProvider"]


class ManualProvider:
    """Payments the owner confirms by hand; idempotency keys still give one payment per key."""

    name = "manual"

    def __init__(self) -> None:
        self._payments: dict[str, Payment] = {}
        self._by_key: dict[str, str] = {}
        self._refunds: dict[str, Refund] = {}
        self._lock = threading.Lock()

    def create_customer(self, email: str, name: str, idempotency_key: str) -> str:
        """A bank transfer saves nothing to charge later; the customer is a name for the key."""
        return "man_cus_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:16]

    def create_payment(
        self,
        amount: int,
        currency: str,
        metadata: dict[str, str],
        idempotency_key: str,
        customer: str | None = None,
        save_method: bool = False,
    ) -> Payment:
        """A pending payment with a transfer reference (the same key twice: the same payment)."""
        code = check_charge(amount, currency)
        with self._lock:
            known = self._by_key.get(idempotency_key)
            if known is not None:
                return self._payments[known]
            payment_id = "man_" + secrets.token_hex(8)
            payment = Payment(
                payment_id,
                PaymentStatus.PENDING,
                amount,
                code,
                metadata=metadata,
                customer=customer,
                fee=0,  # a bank transfer costs the owner nothing here
            )
            self._payments[payment_id] = payment
            self._by_key[idempotency_key] = payment_id
            return payment

    def retrieve(self, payment_id: str) -> Payment:
        """The payment as it stands."""
        payment = self._payments.get(payment_id)
        if payment is None:
            raise NotFound("payment", "no such payment")
        return payment

    def mark_paid(self, payment_id: str, event_id: str | None = None) -> PaymentEvent:
        """The owner saw the transfer: the payment succeeds (twice: the first event again)."""
        with self._lock:
            payment = self.retrieve(payment_id)
            if payment.status is PaymentStatus.CANCELED:
                raise CommerceInputError("payment", "a canceled payment cannot be marked paid")
            if payment.status is not PaymentStatus.SUCCEEDED:
                payment = replace(payment, status=PaymentStatus.SUCCEEDED)
                self._payments[payment_id] = payment
        return PaymentEvent(
            event_id or f"evt_{payment_id}_paid",
            "manual.paid",
            EventKind.SUCCEEDED,
            payment_id,
            payment.amount,
            payment.currency,
            dict(payment.metadata),
        )

    def cancel(self, payment_id: str) -> Payment:
        """The owner gives up waiting for a transfer."""
        with self._lock:
            payment = self.retrieve(payment_id)
            if payment.status is PaymentStatus.SUCCEEDED:
                raise CommerceInputError("payment", "a paid payment is refunded, not canceled")
            payment = replace(payment, status=PaymentStatus.CANCELED)
            self._payments[payment_id] = payment
            return payment

    def refund(self, payment_id: str, amount: int | None, idempotency_key: str) -> Refund:
        """Record money the owner sent back by hand; part (amount) or the rest (None)."""
        with self._lock:
            known = self._refunds.get(idempotency_key)
            if known is not None:
                return known
            payment = self.retrieve(payment_id)
            if payment.status is not PaymentStatus.SUCCEEDED:
                raise CommerceInputError("payment", "only a paid payment can be refunded")
            to_refund = refund_amount(payment.amount, payment.amount_refunded, amount)
            self._payments[payment_id] = replace(
                payment, amount_refunded=payment.amount_refunded + to_refund
            )
            refund = Refund("manref_" + secrets.token_hex(8), payment_id, to_refund, "succeeded")
            self._refunds[idempotency_key] = refund
            return refund

    def charge_saved(
        self,
        customer: str,
        payment_method: str,
        amount: int,
        currency: str,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> OffSessionResult:
        """No saved methods with bank transfer: an upsell is a new invoice, so this fails."""
        check_charge(amount, currency)
        message = "Bank transfer cannot be charged in one click; send an invoice instead."
        return OffSessionResult(OffSession.FAILED, None, None, message)

    def create_setup(
        self, customer: str, metadata: dict[str, str], idempotency_key: str
    ) -> CardSetup:
        """Bank transfer saves no card."""
        raise CommerceInputError("payment", "bank transfer saves no card; pay each invoice")

    def retrieve_setup(self, setup_id: str) -> CardSetup:
        """No card setups with bank transfer."""
        raise NotFound("setup", "no such card setup")

    def parse_webhook(self, payload: bytes, signature: str, now: datetime) -> PaymentEvent:
        """Bank transfers send no webhooks; the owner's mark_paid makes the event."""
        raise CommerceInputError("provider", "the manual provider takes no webhooks")
