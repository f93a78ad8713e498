"""A subscription moving to another plan (now, for an upgrade or in a trial; at the renewal,
for a downgrade): its price, amount and interval change, a change of interval counts the
periods from the current one's end, and the MRR facts follow (a change, or a move out of one
product of the plan family into another)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from evergreen.commerce.models import Price, Subscription
from evergreen.commerce.service.subscriptions_paid import record

__all__ = ["apply_pending", "switch_to"]


def switch_to(session: Session, sub: Subscription, price: Price, now: datetime) -> None:
    """The subscription is on `price` from now; its next period is priced with it."""
    assert price.interval is not None
    if price.interval != sub.interval and sub.current_period_end is not None:
        sub.anchor_at, sub.anchor_period = sub.current_period_end, sub.period
    moved = price.product_id != sub.product_id
    paid = sub.period >= 1  # a trial has no MRR yet: its first payment starts it
    if moved and paid:
        record(session, sub, "plan_from", now)
    sub.price_id, sub.product_id = price.id, price.product_id
    sub.amount_cents, sub.interval = price.amount_cents, price.interval
    sub.pending_price_id = None
    if paid:
        record(session, sub, "plan_to" if moved else "change", now)
    session.flush()


def apply_pending(session: Session, sub: Subscription, now: datetime) -> None:
    """A scheduled downgrade takes effect (the renewal's order is then priced with it); one
    whose price went away or changed currency is dropped."""
    if sub.pending_price_id is None:
        return
    price = session.get(Price, sub.pending_price_id)
    if price is None or price.interval is None or price.currency != sub.currency:
        sub.pending_price_id = None
        session.flush()
        return
    switch_to(session, sub, price, now)
