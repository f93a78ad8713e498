"""Refunds the owner makes, full or part, through the order's provider with an idempotency key
from the form, so a double click or a retried request refunds once. A subscription's period
refunded leaves the subscription running unless the owner also cancels it now."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.models import Order
from evergreen.commerce.payments import PaymentError, Provider, TableInbox
from evergreen.commerce.rules.checkout import PAID_STATUSES, check_nonce
from evergreen.commerce.rules.payments import EventKind, PaymentEvent, refund_amount
from evergreen.commerce.service.paid import Applied, lock_order, mark_refunded
from evergreen.commerce.service.subscriptions.renew import end
from evergreen.commerce.service.subscriptions_paid import lock_subscription
from evergreen.errors import NotFound

__all__ = ["refund_order"]


def refund_order(
    session: Session,
    provider: Provider | None,
    order_id: int,
    amount: int | None,
    nonce: str,
    now: datetime,
    *,
    cancel_now: bool = False,
) -> Applied:
    """Give back `amount` cents (None: all that is left) of a paid order; commissions and the
    ledger follow in proportion. The same nonce twice refunds once. `cancel_now`: the order's
    subscription also ends now (what it granted stops)."""
    order = session.get(Order, order_id)
    if cancel_now and order is not None and order.subscription_id is None:
        raise CommerceInputError("cancel_now", "this order is not a subscription's period")
    done = _refund(session, provider, order_id, amount, nonce, now)
    if cancel_now and order is not None and order.subscription_id is not None:
        sub = lock_subscription(session, order.subscription_id)
        if sub is not None and sub.status != "ended":
            end(session, sub, "voluntary", now)
    return done


def _refund(
    session: Session,
    provider: Provider | None,
    order_id: int,
    amount: int | None,
    nonce: str,
    now: datetime,
) -> Applied:
    key = check_nonce(nonce)
    order = lock_order(session, order_id)
    if order is None:
        raise NotFound("order", "no such order")
    inbox = TableInbox(session)
    if order.status not in PAID_STATUSES:
        raise CommerceInputError("order", "only a paid order can be refunded")
    idempotency_key = f"evergreen-refund-{order.number}-{key}"
    if order.provider == "stripe":
        if provider is None or provider.name != "stripe" or not order.payment_id:
            raise CommerceInputError("provider", "Stripe is not configured: set its secret key")
        try:
            refund = provider.refund(order.payment_id, amount, idempotency_key)
        except PaymentError as exc:
            raise CommerceInputError("payment", exc.message) from None
        if not inbox.record("refund", _event(refund.id, order.payment_id, refund.amount)):
            return Applied(order.number, duplicate=True)
        return mark_refunded(session, order, order.refunded_cents + refund.amount, now)
    cents = refund_amount(order.total_cents, order.refunded_cents, amount)
    if not inbox.record("refund", _event(idempotency_key, order.payment_id, cents)):
        return Applied(order.number, duplicate=True)
    return mark_refunded(session, order, order.refunded_cents + cents, now)


def _event(refund_id: str, payment_id: str | None, cents: int) -> PaymentEvent:
    """The owner's refund as an inbox event: applied once, listed with the order's events."""
    return PaymentEvent(refund_id, "refund", EventKind.REFUNDED, payment_id, cents, "")
