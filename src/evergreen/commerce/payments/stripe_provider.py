"""Stripe through its SDK: PaymentIntents, refunds and off-session charges, keyed for retries.

Every call that creates something carries the caller's idempotency key, so a retried request
(a timeout, a double click, a worker restarted mid-call) returns the first result instead of
charging again. No card data passes through Evergreen: the buyer's browser confirms with the
client secret through Stripe.js.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import stripe
from stripe._base_address import BaseAddresses

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.payments.provider import (
    CardSetup,
    OffSession,
    OffSessionResult,
    Payment,
    PaymentError,
    Refund,
)
from evergreen.commerce.rules.currencies import from_stripe, to_stripe
from evergreen.commerce.rules.fees import fee_in_currency
from evergreen.commerce.rules.payments import (
    PaymentEvent,
    PaymentStatus,
    check_charge,
    parse_event,
    refund_amount,
    status_of,
    verify_signature,
)
from evergreen.config import Settings

__all__ = ["StripeProvider"]

_CHARGE_TRANSACTION = "latest_charge.balance_transaction"  # where Stripe states its fee


class StripeProvider:
    """The Stripe provider, configured from EVERGREEN_STRIPE_* settings."""

    name = "stripe"

    def __init__(self, secret_key: str, webhook_secret: str, api_base: str | None = None) -> None:
        if not secret_key:
            raise CommerceInputError("EVERGREEN_STRIPE_SECRET_KEY", "is not set")
        bases: BaseAddresses = {"api": api_base.rstrip("/")} if api_base else {}
        self._client = stripe.StripeClient(secret_key, base_addresses=bases, max_network_retries=2)
        self._webhook_secret = webhook_secret

    @classmethod
    def from_settings(cls, settings: Settings) -> StripeProvider:
        """The provider the settings describe; a missing key is named."""
        key = settings.stripe_secret_key
        hook = settings.stripe_webhook_secret
        return cls(
            key.get_secret_value() if key else "",
            hook.get_secret_value() if hook else "",
            settings.stripe_api_base,
        )

    def create_customer(self, email: str, name: str, idempotency_key: str) -> str:
        """A Stripe customer for the buyer, so a one-click upsell or a renewal can charge the
        method they paid with (the same key twice: one customer)."""
        params: dict[str, Any] = {"email": email}
        if name:
            params["name"] = name
        customer = self._call(
            lambda: self._client.v1.customers.create(
                params,  # type: ignore[arg-type]
                {"idempotency_key": _key(idempotency_key)},
            )
        )
        return str(customer.id)

    def create_payment(
        self,
        amount: int,
        currency: str,
        metadata: dict[str, str],
        idempotency_key: str,
        customer: str | None = None,
        save_method: bool = False,
    ) -> Payment:
        """Open a PaymentIntent for a server-priced amount (the same key twice: one intent);
        save_method asks Stripe to keep the card on the customer for off-session charges."""
        code = check_charge(amount, currency)
        params: dict[str, Any] = {
            "amount": to_stripe(amount, code), "currency": code, "metadata": metadata,
        }  # fmt: skip
        if customer:
            params["customer"] = customer
        if save_method:
            if not customer:
                raise CommerceInputError("customer", "a method is saved on a customer: name one")
            params["setup_future_usage"] = "off_session"
        intent = self._call(
            lambda: self._client.v1.payment_intents.create(
                params,  # type: ignore[arg-type]
                {"idempotency_key": _key(idempotency_key)},
            )
        )
        return _payment(intent, refunded=0)

    def retrieve(self, payment_id: str) -> Payment:
        """The PaymentIntent now, with what its charge has refunded so far and Stripe's fee
        (on the charge's balance transaction, expanded in the same call)."""
        intent = self._call(
            lambda: self._client.v1.payment_intents.retrieve(
                payment_id, {"expand": [_CHARGE_TRANSACTION]}
            )
        )
        return _payment(intent, refunded=self._refunded(intent), fee=_fee(intent))

    def refund(self, payment_id: str, amount: int | None, idempotency_key: str) -> Refund:
        """Refund part of a payment, or what is left of it when amount is None."""
        payment = self.retrieve(payment_id)
        if payment.status is not PaymentStatus.SUCCEEDED:
            raise CommerceInputError("payment", "only a succeeded payment can be refunded")
        to_refund = to_stripe(
            refund_amount(payment.amount, payment.amount_refunded, amount), payment.currency
        )
        refund = self._call(
            lambda: self._client.v1.refunds.create(
                {"payment_intent": payment_id, "amount": to_refund},
                {"idempotency_key": _key(idempotency_key)},
            )
        )
        cents = from_stripe(int(refund.amount), payment.currency)
        return Refund(refund.id, payment_id, cents, str(refund.status))

    def cancel(self, payment_id: str) -> Payment:
        """Cancel a PaymentIntent; Stripe refuses one that is processing or succeeded (the
        buyer confirmed it in that instant), which is then answered as it stands."""
        try:
            self._client.v1.payment_intents.cancel(payment_id)
        except stripe.InvalidRequestError:  # its state moved on: what it is now decides
            pass
        except stripe.StripeError as error:
            raise _error(error) from None
        return self.retrieve(payment_id)

    def charge_saved(
        self,
        customer: str,
        payment_method: str,
        amount: int,
        currency: str,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> OffSessionResult:
        """Charge a saved method off-session; a bank asking for the buyer is requires_action."""
        code = check_charge(amount, currency)
        params: dict[str, Any] = {
            "amount": to_stripe(amount, code),
            "currency": code,
            "customer": customer,
            "payment_method": payment_method,
            "metadata": metadata,
            "confirm": True,
            "off_session": True,
        }
        try:
            intent = self._client.v1.payment_intents.create(
                params,  # type: ignore[arg-type]
                {"idempotency_key": _key(idempotency_key)},
            )
        except stripe.CardError as error:
            failed = getattr(error.error, "payment_intent", None) if error.error else None
            pid = getattr(failed, "id", None) if failed is not None else None
            secret = getattr(failed, "client_secret", None) if failed is not None else None
            message = error.user_message or "The card was declined."
            if error.code == "authentication_required":
                return OffSessionResult(OffSession.REQUIRES_ACTION, pid, secret, message)
            return OffSessionResult(OffSession.FAILED, pid, None, message)
        except stripe.StripeError as error:
            raise _error(error) from None
        status = status_of(intent.status)
        if status is PaymentStatus.SUCCEEDED or status is PaymentStatus.PROCESSING:
            return OffSessionResult(OffSession.SUCCEEDED, intent.id)
        if status is PaymentStatus.REQUIRES_ACTION:
            message = "Your bank asks you to confirm this payment."
            return OffSessionResult(
                OffSession.REQUIRES_ACTION, intent.id, intent.client_secret, message
            )
        return OffSessionResult(
            OffSession.FAILED, intent.id, None, "The payment did not go through."
        )

    def create_setup(
        self, customer: str, metadata: dict[str, str], idempotency_key: str
    ) -> CardSetup:
        """A SetupIntent for off-session use on the customer (the same key twice: one intent);
        confirmed by Stripe.js, it attaches the card to the customer."""
        params: dict[str, Any] = {
            "customer": customer,
            "usage": "off_session",
            "metadata": metadata,
        }
        intent = self._call(
            lambda: self._client.v1.setup_intents.create(
                params,  # type: ignore[arg-type]
                {"idempotency_key": _key(idempotency_key)},
            )
        )
        return _setup(intent)

    def retrieve_setup(self, setup_id: str) -> CardSetup:
        """The SetupIntent now."""
        return _setup(self._call(lambda: self._client.v1.setup_intents.retrieve(setup_id)))

    def parse_webhook(self, payload: bytes, signature: str, now: datetime) -> PaymentEvent:
        """Verify Stripe's signature (300 s tolerance) and normalise the event."""
        if not self._webhook_secret:
            raise CommerceInputError("EVERGREEN_STRIPE_WEBHOOK_SECRET", "is not set")
        verify_signature(self._webhook_secret, signature, payload, now)
        event = parse_event(payload)
        return replace(event, amount=from_stripe(event.amount, event.currency))

    def _refunded(self, intent: stripe.PaymentIntent) -> int:
        """What the intent's charge has refunded (PaymentIntents do not carry it themselves)."""
        charge_id = intent.latest_charge
        if not charge_id:
            return 0
        if not isinstance(charge_id, str):  # expanded: the charge is here already
            refunded = int(getattr(charge_id, "amount_refunded", 0) or 0)
        else:
            charge = self._call(lambda: self._client.v1.charges.retrieve(charge_id))
            refunded = int(charge.amount_refunded or 0)
        return from_stripe(refunded, str(intent.currency))

    @staticmethod
    def _call(request: Any) -> Any:
        try:
            return request()
        except stripe.StripeError as error:
            raise _error(error) from None


def _key(idempotency_key: str) -> str:
    if not idempotency_key or len(idempotency_key) > 255:
        raise CommerceInputError("idempotency_key", "must be 1 to 255 characters")
    return idempotency_key


def _error(error: stripe.StripeError) -> PaymentError:
    """A Stripe failure as words for a person, with Stripe's code kept for the caller."""
    message = error.user_message or "The payment provider refused the request."
    return PaymentError(message, error.code or "")


def _fee(intent: stripe.PaymentIntent) -> int | None:
    """Stripe's fee on the intent's charge in the intent's currency; None until the charge has
    a balance transaction (it may come after the payment succeeds)."""
    charge = intent.latest_charge
    if charge is None or isinstance(charge, str):
        return None
    transaction = getattr(charge, "balance_transaction", None)
    if transaction is None or isinstance(transaction, str):
        return None
    fee = getattr(transaction, "fee", None)
    fee_currency = getattr(transaction, "currency", None)
    return fee_in_currency(
        from_stripe(int(fee), str(fee_currency or intent.currency)) if fee is not None else None,
        fee_currency,
        str(intent.currency),
        getattr(transaction, "exchange_rate", None),
    )


def _payment(intent: stripe.PaymentIntent, refunded: int, fee: int | None = None) -> Payment:
    raw: dict[str, Any] = intent.metadata.to_dict() if intent.metadata else {}
    metadata = {str(key): str(value) for key, value in raw.items()}
    return Payment(
        id=intent.id,
        status=status_of(intent.status),
        amount=from_stripe(int(intent.amount), str(intent.currency)),
        currency=str(intent.currency),
        amount_refunded=refunded,
        client_secret=intent.client_secret,
        metadata=metadata,
        customer=_id_of(intent.customer),
        payment_method=_id_of(intent.payment_method),
        fee=fee,
    )


def _setup(intent: stripe.SetupIntent) -> CardSetup:
    raw: dict[str, Any] = intent.metadata.to_dict() if intent.metadata else {}
    return CardSetup(
        id=intent.id,
        status=str(intent.status),
        client_secret=intent.client_secret,
        customer=_id_of(intent.customer),
        payment_method=_id_of(intent.payment_method),
        metadata={str(key): str(value) for key, value in raw.items()},
    )


def _id_of(value: Any) -> str | None:
    """An expandable field's id, whether Stripe sent the id or the object."""
    if value is None or isinstance(value, str):
        return value or None
    return str(getattr(value, "id", "")) or None
