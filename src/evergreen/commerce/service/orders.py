"""Orders confirmed from every side: the provider's webhook, the buyer's return (the provider
asked directly, so a lost webhook still completes the order), the owner's hand for a bank
transfer, and a reconciliation of pending payments. Whichever comes first applies; the others
find it done."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.models import Order
from evergreen.commerce.payments import Payment, PaymentError, Provider, TableInbox
from evergreen.commerce.rules.checkout import PAID_STATUSES, read_order_token
from evergreen.commerce.rules.payments import EventKind, PaymentEvent, PaymentStatus
from evergreen.commerce.service.fees import fee_event, learn_fee, record_fee
from evergreen.commerce.service.paid import (
    Applied,
    apply_event,
    lock_order,
    mark_failed,
    mark_paid,
    mark_refunded,
)
from evergreen.errors import NotFound

__all__ = [
    "RECONCILE_AFTER",
    "apply_webhook",
    "confirm",
    "get_order",
    "mark_manual_paid",
    "order_by_token",
    "receive_webhook",
    "reconcile",
    "replayed_webhook",
    "settle",
]

RECONCILE_AFTER = timedelta(minutes=5)  # a webhook usually comes within seconds


def get_order(session: Session, order_id: int) -> Order:
    """One order by id (the owner's pages and API)."""
    row = session.get(Order, order_id)
    if row is None:
        raise NotFound("order", "no such order")
    return row


def order_by_token(session: Session, secret: str, token: str) -> Order:
    """The order a buyer's signed link names; a changed link is not found."""
    try:
        number = read_order_token(secret, token)
    except CommerceInputError:
        raise NotFound("order", "this order link is not valid") from None
    row = session.scalar(select(Order).where(Order.number == number))
    if row is None:
        raise NotFound("order", "this order link is not valid")
    return row


def receive_webhook(
    session: Session,
    provider: Provider,
    payload: bytes,
    signature: str,
    secret: str,
    now: datetime,
) -> Applied:
    """Verify a provider's webhook, record it in the inbox and apply it, all in this unit of
    work: a replay (the same event id) is absorbed; a failure leaves no trace, so the provider's
    retry applies it."""
    event = provider.parse_webhook(payload, signature, now)
    return apply_webhook(session, provider, event, secret, now)


def replayed_webhook(session: Session, provider: Provider, event: PaymentEvent) -> Applied | None:
    """A verified event already in the inbox, answered from a read (a reader session: no write
    lock, no commit); None when it is new and needs a writer (`apply_webhook`)."""
    if TableInbox(session).seen(provider.name, event.id):
        return replay_outcome(event)
    return None


def replay_outcome(event: PaymentEvent) -> Applied:
    """What a replay of an applied event answers: its order, a duplicate (from the event alone,
    so a process that knows the event applied can answer without reading)."""
    return Applied(event.metadata.get("order"), duplicate=True)


def apply_webhook(
    session: Session, provider: Provider, event: PaymentEvent, secret: str, now: datetime
) -> Applied:
    """Record a verified event in the inbox and apply it, in this writer's unit of work; one
    recorded meanwhile (a replay racing its first delivery) is absorbed by the unique key."""
    if not TableInbox(session).record(provider.name, event):
        return Applied(event.metadata.get("order"), duplicate=True)
    if event.kind is EventKind.CHARGE_UPDATED:  # the fee is asked of the provider: one path
        return fee_event(session, provider, event, now)
    return apply_event(session, provider.name, event, secret, now)


def settle(session: Session, order: Order, payment: Payment, secret: str, now: datetime) -> Applied:
    """Bring a locked order to where the provider says its payment stands."""
    if payment.status is PaymentStatus.SUCCEEDED:
        if payment.amount != order.total_cents or payment.currency.upper() != order.currency:
            return Applied(order.number, note="the payment's amount does not match the order")
        done = mark_paid(session, order, secret, now)
        fee = record_fee(session, order, payment, now)  # when Stripe knows it already
        if payment.amount_refunded:
            refunded = mark_refunded(session, order, payment.amount_refunded, now)
            changed = done.changed or refunded.changed
            return Applied(order.number, changed, done.newly_paid, fee_learned=fee)
        return replace(done, fee_learned=fee)
    if payment.status is PaymentStatus.FAILED:
        return mark_failed(order, now)
    if payment.status is PaymentStatus.CANCELED and order.status == "pending":
        order.status = "cancelled"
        return Applied(order.number, changed=True)
    return Applied(order.number)


def confirm(
    session: Session, provider: Provider | None, order_id: int, secret: str, now: datetime
) -> Applied:
    """Ask the provider how a pending order's payment stands (the buyer is back, or the
    reconciliation runs) and apply it; a provider that cannot answer leaves the order as is."""
    order = lock_order(session, order_id)
    if order is None:
        raise NotFound("order", "no such order")
    if provider is None or order.provider != provider.name or not order.payment_id:
        return Applied(order.number)
    if order.status in PAID_STATUSES and order.fee_known_at is None:  # paid by the webhook
        return Applied(order.number, fee_learned=learn_fee(session, provider, order.id, now))
    if order.status not in ("pending", "failed"):
        return Applied(order.number)
    try:
        payment = provider.retrieve(order.payment_id)
    except PaymentError as exc:
        return Applied(order.number, note=exc.message)
    return settle(session, order, payment, secret, now)


def reconcile(
    session: Session,
    provider: Provider | None,
    secret: str,
    now: datetime,
    older_than: timedelta = RECONCILE_AFTER,
    limit: int = 500,
) -> list[Applied]:
    """Pending orders older than `older_than`, each checked with the provider (a webhook that
    never came, a process killed between payment and order update)."""
    if provider is None:
        return []
    ids = session.scalars(
        select(Order.id)
        .where(
            Order.status.in_(("pending", "failed")),
            Order.provider == provider.name,
            Order.created_at <= now - older_than,
            Order.created_at >= now - timedelta(days=30),
        )
        .order_by(Order.created_at)
        .limit(limit)
    ).all()
    return [confirm(session, provider, order_id, secret, now) for order_id in ids]


def mark_manual_paid(session: Session, order_id: int, secret: str, now: datetime) -> Applied:
    """The owner saw the bank transfer: the order is paid (twice: nothing more happens)."""
    order = lock_order(session, order_id)
    if order is None:
        raise NotFound("order", "no such order")
    if order.provider != "manual":
        raise CommerceInputError("order", "only a bank-transfer order is marked paid by hand")
    if order.status == "cancelled":
        raise CommerceInputError("order", "a cancelled order cannot be marked paid")
    event = PaymentEvent(
        f"{order.payment_id}:paid", "manual.paid", EventKind.SUCCEEDED, order.payment_id,
        order.total_cents, order.currency,
    )  # fmt: skip
    TableInbox(session).record("manual", event)
    return mark_paid(session, order, secret, now)
