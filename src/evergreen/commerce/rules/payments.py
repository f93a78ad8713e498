"""Payment decisions without I/O: Stripe's webhook signature, events normalised, amounts checked.

Stripe signs each webhook `Stripe-Signature: t=<unix time>,v1=<hex>[,v1=<hex>…]` with HMAC-SHA256
of "t.payload" (the scheme `evergreen.signatures` uses for our own webhooks; during a secret roll
Stripe sends one v1 per secret, so any match is enough). A timestamp more than 300 s away is
refused so a captured request cannot be replayed later; replays within the window are absorbed
by event id downstream.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.rules.checkout import PAID_STATUSES
from evergreen.digits import is_digits
from evergreen.signatures import sign

__all__ = [
    "TOLERANCE",
    "EventKind",
    "PaymentEvent",
    "PaymentStatus",
    "check_charge",
    "check_refundable",
    "parse_event",
    "refund_amount",
    "status_of",
    "verify_signature",
]

TOLERANCE = 300  # seconds, as Stripe's own libraries default to
SIGNATURE_FIELD = "Stripe-Signature"


class PaymentStatus(StrEnum):
    """Where a payment stands, the same words for every provider."""

    PENDING = "pending"  # waiting for the buyer's method or the owner's bank statement
    REQUIRES_ACTION = "requires_action"  # the bank wants the buyer to authenticate
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


class EventKind(StrEnum):
    """What a provider's event means to an order, whatever the provider called it."""

    SUCCEEDED = "payment_succeeded"
    FAILED = "payment_failed"
    REFUNDED = "refunded"
    CHARGE_UPDATED = "charge_updated"  # e.g. its balance transaction (Stripe's fee) is there
    OTHER = "other"


@dataclass(frozen=True)
class PaymentEvent:
    """One provider event as plain values: what happened to which payment, for how much."""

    id: str
    type: str
    kind: EventKind
    payment_id: str | None
    amount: int
    currency: str
    metadata: dict[str, str] = field(default_factory=dict)


_STRIPE_STATUS = {
    "requires_payment_method": PaymentStatus.PENDING,
    "requires_confirmation": PaymentStatus.PENDING,
    "requires_action": PaymentStatus.REQUIRES_ACTION,
    "requires_capture": PaymentStatus.PROCESSING,
    "processing": PaymentStatus.PROCESSING,
    "succeeded": PaymentStatus.SUCCEEDED,
    "canceled": PaymentStatus.CANCELED,
}

_KINDS = {
    "payment_intent.succeeded": EventKind.SUCCEEDED,
    "checkout.session.completed": EventKind.SUCCEEDED,
    "payment_intent.payment_failed": EventKind.FAILED,
    "charge.refunded": EventKind.REFUNDED,
    "refund.created": EventKind.REFUNDED,
    "charge.updated": EventKind.CHARGE_UPDATED,  # sent when the fee becomes known, among others
}


def status_of(stripe_status: str) -> PaymentStatus:
    """Stripe's PaymentIntent status in our words (an unknown one counts as still pending)."""
    return _STRIPE_STATUS.get(stripe_status, PaymentStatus.PENDING)


def check_charge(amount: int, currency: str) -> str:
    """Refuse an amount or currency no provider should be asked for; the currency, lower-case."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise CommerceInputError("amount", "must be a positive whole number of cents")
    code = currency.strip().lower() if isinstance(currency, str) else ""
    if len(code) != 3 or not code.isalpha() or not code.isascii():
        raise CommerceInputError("currency", "must be a three-letter ISO code such as EUR")
    return code


def check_refundable(status: str, *, period: bool, cancel_now: bool) -> None:
    """Refuse a refund no order of this kind may take (money that never arrived; ending a
    subscription through an order that is not one of its periods): the plan a person confirms
    and the refund itself ask here, so they refuse alike."""
    if cancel_now and not period:
        raise CommerceInputError("cancel_now", "this order is not a subscription's period")
    if status not in PAID_STATUSES:
        raise CommerceInputError("order", "only a paid order can be refunded")


def refund_amount(paid: int, refunded: int, requested: int | None) -> int:
    """How much a refund may take: the rest when none is named, never more than is left."""
    left = paid - refunded
    if left <= 0:
        raise CommerceInputError("amount", "this payment is already fully refunded")
    if requested is None:
        return left
    if isinstance(requested, bool) or requested <= 0:
        raise CommerceInputError("amount", "a refund must be a positive number of cents")
    if requested > left:
        raise CommerceInputError("amount", f"at most {left} cents are left to refund")
    return requested


def verify_signature(
    secret: str, header: str, payload: bytes, now: datetime, tolerance: int = TOLERANCE
) -> None:
    """Refuse a webhook not signed with the endpoint's secret or signed too long ago."""
    timestamps: list[str] = []
    signatures: list[str] = []
    for item in (header or "").split(","):
        key, _, value = item.strip().partition("=")
        if key == "t":
            timestamps.append(value)
        elif key == "v1" and value:
            signatures.append(value)
    if len(timestamps) != 1 or not is_digits(timestamps[0]):
        raise CommerceInputError(SIGNATURE_FIELD, "has no timestamp (t=…)")
    if not signatures:
        raise CommerceInputError(SIGNATURE_FIELD, "has no v1 signature")
    timestamp = int(timestamps[0])
    if abs(now.timestamp() - timestamp) > tolerance:
        raise CommerceInputError(
            SIGNATURE_FIELD, f"is older than {tolerance} s (or from the future)"
        )
    expected = sign(secret, timestamp, payload).split("v1=", 1)[1]
    if not any(hmac.compare_digest(expected, value) for value in signatures):
        raise CommerceInputError(SIGNATURE_FIELD, "does not match the webhook secret")


def parse_event(payload: bytes) -> PaymentEvent:
    """A Stripe event's JSON as a PaymentEvent; a malformed one names the missing field."""
    try:
        event = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        raise CommerceInputError("payload", "is not JSON") from None
    if not isinstance(event, dict):
        raise CommerceInputError("payload", "is not a JSON object")
    event_id = _text(event, "id")
    event_type = _text(event, "type")
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict):
        raise CommerceInputError("data.object", "is missing")
    kind = _KINDS.get(event_type, EventKind.OTHER)
    payment_id, amount = _payment_and_amount(event_type, obj)
    currency = obj.get("currency")
    if not isinstance(currency, str):
        currency = ""
    metadata = obj.get("metadata")
    clean = {str(k): str(v) for k, v in metadata.items()} if isinstance(metadata, dict) else {}
    return PaymentEvent(event_id, event_type, kind, payment_id, amount, currency.lower(), clean)


def _text(event: dict[str, Any], name: str) -> str:
    value = event.get(name)
    if not isinstance(value, str) or not value:
        raise CommerceInputError(name, "is missing")
    return value


def _payment_and_amount(event_type: str, obj: dict[str, Any]) -> tuple[str | None, int]:
    """Which PaymentIntent the object belongs to and the amount the event is about."""
    kind = obj.get("object")
    if kind == "payment_intent":
        payment_id, amount = obj.get("id"), obj.get("amount_received") or obj.get("amount")
    elif kind == "charge":
        refunded = event_type == "charge.refunded"
        payment_id = obj.get("payment_intent")
        amount = obj.get("amount_refunded") if refunded else obj.get("amount")
    elif kind == "refund":
        payment_id, amount = obj.get("payment_intent"), obj.get("amount")
    elif kind == "checkout.session":
        payment_id, amount = obj.get("payment_intent"), obj.get("amount_total")
    else:
        payment_id, amount = None, 0
    if amount is None:
        amount = 0
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise CommerceInputError("data.object.amount", "is not a whole number of cents")
    return (payment_id if isinstance(payment_id, str) else None), amount
