"""Refunds the owner makes, full or part, through the order's provider with an idempotency key
from the form, so a double click or a retried request refunds once; the same key with another
amount is refused (Stripe's rule), never taken for a repeat. A subscription's period refunded
leaves the subscription running unless the owner also cancels it now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.models import InboxEvent, Order
from evergreen.commerce.payments import PaymentError, Provider, TableInbox
from evergreen.commerce.rules.checkout import check_nonce
from evergreen.commerce.rules.payments import (
    EventKind,
    PaymentEvent,
    check_refundable,
    refund_amount,
)
from evergreen.commerce.rules.products import from_cents
from evergreen.commerce.service.paid import Applied, lock_order, mark_refunded
from evergreen.commerce.service.subscriptions.renew import end
from evergreen.commerce.service.subscriptions_paid import lock_subscription
from evergreen.errors import Conflict, NotFound

__all__ = ["RefundPlan", "plan_refund", "refund_order"]

_ASKED = "refund-request"  # inbox rows of the refunds asked for, by idempotency key


@dataclass(frozen=True)
class RefundPlan:
    """What a refund would do, for a person to confirm: the order, its money, what goes back."""

    number: str
    currency: str
    total: int
    refunded: int
    amount: int
    subscription_id: int | None


def plan_refund(
    session: Session, order_id: int, amount: int | None, *, cancel_now: bool = False
) -> RefundPlan:
    """What refunding `amount` cents (None: all that is left) of an order would give back,
    refused as `refund_order` would refuse it; nothing changes."""
    order = session.get(Order, order_id)
    if order is None:
        raise NotFound("order", "no such order")
    check_refundable(order.status, period=order.subscription_id is not None, cancel_now=cancel_now)
    cents = refund_amount(order.total_cents, order.refunded_cents, amount)
    return RefundPlan(
        order.number, order.currency, order.total_cents, order.refunded_cents, cents,
        order.subscription_id,
    )  # fmt: skip


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
    done = _refund(session, provider, order_id, amount, nonce, now, cancel_now=cancel_now)
    order = session.get(Order, order_id)  # locked by _refund
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
    *,
    cancel_now: bool,
) -> Applied:
    key = check_nonce(nonce)
    order = lock_order(session, order_id)
    if order is None:
        raise NotFound("order", "no such order")
    inbox = TableInbox(session)
    check_refundable(order.status, period=order.subscription_id is not None, cancel_now=cancel_now)
    idempotency_key = f"evergreen-refund-{order.number}-{key}"
    asked = _asked_before(session, idempotency_key)
    if asked is not None:  # a retry returns the first refund; another amount is refused
        first = _asked_amount(asked)
        if first != amount:
            what = "all that was left" if first is None else from_cents(first)
            raise Conflict(
                "idempotency_key",
                f"idempotency_key {key} was used for a refund of {what}; send a new key for "
                "another refund",
            )
        return Applied(order.number, duplicate=True)
    if order.provider == "stripe":
        if provider is None or provider.name != "stripe" or not order.payment_id:
            raise CommerceInputError("provider", "Stripe is not configured: set its secret key")
        try:
            refund = provider.refund(order.payment_id, amount, idempotency_key)
        except PaymentError as exc:
            raise CommerceInputError("payment", exc.message) from None
        _remember(session, idempotency_key, amount)
        if not inbox.record("refund", _event(refund.id, order.payment_id, refund.amount)):
            return Applied(order.number, duplicate=True)
        return mark_refunded(session, order, order.refunded_cents + refund.amount, now)
    cents = refund_amount(order.total_cents, order.refunded_cents, amount)
    _remember(session, idempotency_key, amount)
    if not inbox.record("refund", _event(idempotency_key, order.payment_id, cents)):
        return Applied(order.number, duplicate=True)
    return mark_refunded(session, order, order.refunded_cents + cents, now)


def _asked_before(session: Session, idempotency_key: str) -> InboxEvent | None:
    """The refund asked for under this key before (None: the key is new)."""
    return session.scalar(
        select(InboxEvent).where(
            InboxEvent.provider == _ASKED, InboxEvent.event_id == idempotency_key[:255]
        )
    )


def _asked_amount(row: InboxEvent) -> int | None:
    """The cents a remembered request asked for (None: all that was left)."""
    return None if row.kind == "rest" else row.amount_cents


def _remember(session: Session, idempotency_key: str, amount: int | None) -> None:
    """Keep what a refund made under this key asked for, in its transaction (the order's row
    lock puts requests under one key in turn), so a retry is told apart from another refund."""
    kind = "rest" if amount is None else "amount"
    row = InboxEvent(
        provider=_ASKED, event_id=idempotency_key[:255], kind=kind, amount_cents=amount or 0
    )
    session.add(row)
    session.flush()


def _event(refund_id: str, payment_id: str | None, cents: int) -> PaymentEvent:
    """The owner's refund as an inbox event: applied once, listed with the order's events."""
    return PaymentEvent(refund_id, "refund", EventKind.REFUNDED, payment_id, cents, "")
