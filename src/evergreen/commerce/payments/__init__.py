"""Payment providers behind one interface: Stripe (SDK) and manual (bank transfer / invoice)."""

from __future__ import annotations

from evergreen.commerce.payments.inbox import EventInbox, MemoryInbox, TableInbox, receive
from evergreen.commerce.payments.manual import ManualProvider
from evergreen.commerce.payments.provider import (
    CardSetup,
    OffSession,
    OffSessionResult,
    Payment,
    PaymentError,
    Provider,
    Refund,
)
from evergreen.commerce.payments.stripe_provider import StripeProvider

__all__ = [
    "CardSetup",
    "EventInbox",
    "ManualProvider",
    "MemoryInbox",
    "OffSession",
    "OffSessionResult",
    "Payment",
    "PaymentError",
    "Provider",
    "Refund",
    "StripeProvider",
    "TableInbox",
    "receive",
]
