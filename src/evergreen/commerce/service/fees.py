"""Payment fees learned once: Stripe states its fee on the charge's balance transaction, which
may come after the payment succeeds, so a paid order without `fee_known_at` is asked about again
(the buyer's return, the reconciliation) until Stripe knows. The fee is stored and posted to the
ledger under the order's row lock, so replays and concurrent workers post it once."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.commerce.models import Order
from evergreen.commerce.payments import Payment, PaymentError, Provider
from evergreen.commerce.rules.checkout import PAID_STATUSES
from evergreen.commerce.rules.fees import fee_to_record
from evergreen.commerce.rules.payments import PaymentEvent
from evergreen.commerce.service import rollups
from evergreen.commerce.service.paid import Applied, lines_of, lock_order, post_fee

__all__ = ["FEES_WITHIN", "fee_event", "fill_fees", "learn_fee", "record_fee"]

FEES_WITHIN = timedelta(days=30)  # older paid orders are not asked about any more


def record_fee(session: Session, order: Order, payment: Payment, now: datetime) -> bool:
    """Store the payment's fee on a locked order and post it, if it is paid and its fee was
    not known yet; True when it was learned now."""
    if payment.id != order.payment_id:
        return False
    fee = fee_to_record(
        paid=order.status in PAID_STATUSES, known=order.fee_known_at is not None, fee=payment.fee
    )
    if fee is None:
        return False
    before = order.fee_cents
    order.fee_cents, order.fee_known_at = fee, now
    session.flush()
    rollups.funnel_fee(session, order, fee - before)
    post_fee(session, order, lines_of(session, order.id), now)
    return True


def learn_fee(session: Session, provider: Provider, order_id: int, now: datetime) -> bool:
    """Ask the provider for one paid order's fee and record it (False: nothing learned now,
    because it is known already, not paid, or the provider cannot say yet)."""
    order = lock_order(session, order_id)
    if order is None or order.provider != provider.name or not order.payment_id:
        return False
    if order.fee_known_at is not None or order.status not in PAID_STATUSES:
        return False
    try:
        payment = provider.retrieve(order.payment_id)
    except PaymentError:
        return False  # asked again at the next reconciliation
    return record_fee(session, order, payment, now)


def fee_event(session: Session, provider: Provider, event: PaymentEvent, now: datetime) -> Applied:
    """A charge changed (Stripe's charge.updated, sent when its fee becomes known): learn the
    fee of its order if still unknown; a charge of no order of ours changes nothing."""
    found = None
    if event.payment_id:
        found = session.execute(
            select(Order.id, Order.number).where(
                Order.provider == provider.name, Order.payment_id == event.payment_id
            )
        ).first()
    if found is None:
        return Applied(None, note="no order for this charge")
    learned = learn_fee(session, provider, found.id, now)
    return Applied(found.number, changed=learned, fee_learned=learned)


def fill_fees(
    session: Session, provider: Provider | None, now: datetime, limit: int = 500
) -> list[str]:
    """Paid orders of the last 30 days whose fee is still unknown, each asked once; the
    numbers of those whose fee was learned now."""
    if provider is None:
        return []
    rows = session.execute(
        select(Order.id, Order.number)
        .where(
            Order.fee_known_at.is_(None),
            Order.provider == provider.name,
            Order.payment_id.is_not(None),
            Order.status.in_(sorted(PAID_STATUSES)),
            Order.paid_at >= now - FEES_WITHIN,
        )
        .order_by(Order.paid_at)
        .limit(limit)
    ).all()
    return [number for order_id, number in rows if learn_fee(session, provider, order_id, now)]
