"""What a paid order of a subscription does to it (called from paid.mark_paid): the period it
pays begins, a failed period is recovered, a period paid after a delinquent end revives it;
kept apart from the subscriptions package so that mark_paid can call it without an import
cycle. Also the helpers both need: the lock, the period anchor, each period's discounted amount
and the facts MRR is derived from."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.commerce.models import Order, Subscription, SubscriptionEvent
from evergreen.commerce.rules.billing import order_period, period_bounds
from evergreen.commerce.rules.plans import CouponHold, period_price
from evergreen.commerce.service import delivery

__all__ = [
    "bounds_of",
    "hold_of",
    "lock_subscription",
    "net_of",
    "period_paid",
    "record",
]


def lock_subscription(session: Session, subscription_id: int) -> Subscription | None:
    """The subscription, locked until this unit of work ends and read fresh."""
    query = (
        select(Subscription)
        .where(Subscription.id == subscription_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalar(query)


def bounds_of(sub: Subscription, n: int) -> tuple[datetime, datetime]:
    """Period n's start and end: counted from the anchor (a re-anchor after a change of
    interval or a revival), else from the trial's end or the first payment."""
    if sub.anchor_at is not None:
        return period_bounds(sub.anchor_at, sub.interval, n - sub.anchor_period)
    anchor = sub.trial_end or sub.started_at
    assert anchor is not None
    return period_bounds(anchor, sub.interval, n)


def hold_of(sub: Subscription) -> CouponHold | None:
    """The coupon the subscription keeps from its start (None: none)."""
    if not sub.coupon_code:
        return None
    return CouponHold(sub.coupon_percent_off, sub.coupon_amount_off_cents, sub.coupon_periods)


def net_of(sub: Subscription, n: int) -> int:
    """Period n's amount after the coupon, before tax: what MRR counts."""
    return period_price(sub.amount_cents, max(n, 1), hold_of(sub), None, sub.currency).net


def record(session: Session, sub: Subscription, kind: str, at: datetime) -> None:
    """Keep one fact about the subscription (MRR is derived from these), with its current
    period's discounted amount."""
    session.add(
        SubscriptionEvent(
            subscription_id=sub.id, product_id=sub.product_id, currency=sub.currency, kind=kind,
            amount_cents=net_of(sub, sub.period), interval=sub.interval, at=at,
        )
    )  # fmt: skip


def period_paid(session: Session, order: Order, now: datetime) -> None:
    """The order's period is paid: it becomes the current one (once; an older one changes
    nothing), a past-due subscription is recovered, one ended unpaid is revived (its next
    period paid late), the first payment starts its MRR; a discount ending changes it."""
    if order.subscription_id is None or order.checkout_key.startswith("change:"):
        return  # an upgrade's prorated charge: service/subscriptions/change.py applies it
    sub = lock_subscription(session, order.subscription_id)
    n = order_period(order.checkout_key)
    if sub is None or n <= sub.period:
        return
    revived = sub.status == "ended"
    if revived and (sub.end_reason != "delinquent" or n != sub.period + 1):
        return
    if sub.started_at is None:
        sub.started_at = now
    was = sub.status
    if revived:  # a full period from now, not the one that passed unpaid
        sub.anchor_at, sub.anchor_period = now, n - 1
        sub.ended_at, sub.end_reason = None, ""
        sub.cancel_at_period_end, sub.canceled_at = False, None
    sub.current_period_start, sub.current_period_end = bounds_of(sub, n)
    sub.period = n
    sub.status = "canceled" if was == "canceled" else "active"
    sub.failed_attempts, sub.next_attempt_at, sub.grace_until = 0, None, None
    sub.payment_method = None  # looked up again from this payment at the next renewal
    if n == 1:
        record(session, sub, "start", now)
    elif revived:
        record(session, sub, "reactivate", now)
        delivery.restore(session, f"subscription:{sub.id}")
    elif was == "past_due":
        record(session, sub, "recovered", now)
    else:
        record(session, sub, "renewal", now)
    if n > 1 and not revived and net_of(sub, n) != net_of(sub, n - 1):
        record(session, sub, "change", now)  # the coupon's last discounted period is over
    session.flush()
