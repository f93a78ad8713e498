"""What a paid order of a subscription does to it (called from paid.mark_paid): the period it
pays begins, a failed period is recovered; kept apart from the subscriptions package so that
mark_paid can call it without an import cycle."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.commerce.models import Order, Subscription, SubscriptionEvent
from evergreen.commerce.rules.billing import order_period, period_bounds

__all__ = ["anchor_of", "lock_subscription", "period_paid", "record"]


def lock_subscription(session: Session, subscription_id: int) -> Subscription | None:
    """The subscription, locked until this unit of work ends and read fresh."""
    query = (
        select(Subscription)
        .where(Subscription.id == subscription_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalar(query)


def anchor_of(sub: Subscription) -> datetime:
    """Where its periods are counted from: the trial's end, else the first payment."""
    anchor = sub.trial_end or sub.started_at
    assert anchor is not None
    return anchor


def record(session: Session, sub: Subscription, kind: str, at: datetime) -> None:
    """Keep one fact about the subscription (MRR is derived from these)."""
    session.add(
        SubscriptionEvent(
            subscription_id=sub.id, product_id=sub.product_id, currency=sub.currency, kind=kind,
            amount_cents=sub.amount_cents, interval=sub.interval, at=at,
        )
    )  # fmt: skip


def period_paid(session: Session, order: Order, now: datetime) -> None:
    """The order's period is paid: it becomes the current one (once; an older one changes
    nothing), a past-due subscription is recovered, the first payment starts its MRR."""
    if order.subscription_id is None:
        return
    sub = lock_subscription(session, order.subscription_id)
    n = order_period(order.checkout_key)
    if sub is None or sub.status == "ended" or n <= sub.period:
        return
    if sub.started_at is None:
        sub.started_at = now
    was = sub.status
    sub.current_period_start, sub.current_period_end = period_bounds(
        anchor_of(sub), sub.interval, n
    )
    sub.period = n
    sub.status = "canceled" if was == "canceled" else "active"
    sub.failed_attempts, sub.next_attempt_at, sub.grace_until = 0, None, None
    sub.payment_method = None  # looked up again from this payment at the next renewal
    if n == 1:
        record(session, sub, "start", now)
    elif was == "past_due":
        record(session, sub, "recovered", now)
    else:
        record(session, sub, "renewal", now)
    session.flush()
