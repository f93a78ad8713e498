"""Renewals and dunning: each due subscription is locked, decided on (rules/billing.py) and
charged off-session on its saved method, its period's order keyed `renewal:<id>:<n>` so two
workers, a retry or a task run twice never charge a period twice. A failed charge makes it past
due, with retries and a reminder mail each time inside the grace period; unpaid after it, the
subscription ends as delinquent and its grants are revoked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from evergreen.commerce.models import Order, Product, Subscription
from evergreen.commerce.payments import OffSession, PaymentError, Provider
from evergreen.commerce.rules.billing import (
    GRACE_DAYS,
    Due,
    SubState,
    decide,
    failure_plan,
    renewal_key,
)
from evergreen.commerce.rules.period_payment import RetryStep, retry_step
from evergreen.commerce.service import delivery
from evergreen.commerce.service.fees import learn_fee
from evergreen.commerce.service.paid import mark_paid
from evergreen.commerce.service.subscriptions.start import open_order, pay_again
from evergreen.commerce.service.subscriptions.switch import apply_pending
from evergreen.commerce.service.subscriptions_paid import lock_subscription, record

__all__ = ["Renewed", "due_ids", "end", "period_order", "renew_one", "saved_method", "state_of"]


@dataclass(frozen=True)
class Renewed:
    """What one renewal run did to a subscription; `remind` asks for a dunning mail."""

    subscription_id: int
    outcome: str  # nothing, paid, failed, ended or ended_delinquent
    order_number: str | None = None
    remind: bool = False
    message: str = ""


def state_of(sub: Subscription) -> SubState:
    """The decision's view of a subscription."""
    return SubState(
        sub.status, sub.current_period_end, sub.cancel_at_period_end, sub.next_attempt_at,
        sub.grace_until,
    )  # fmt: skip


def due_ids(session: Session, now: datetime, limit: int = 500) -> list[int]:
    """Subscriptions that may need something now (each is decided again under its lock)."""
    query = (
        select(Subscription.id)
        .where(
            or_(
                Subscription.status.in_(("trialing", "active", "canceled"))
                & (Subscription.current_period_end <= now),
                (Subscription.status == "past_due")
                & ((Subscription.next_attempt_at <= now) | (Subscription.grace_until <= now)),
            )
        )
        .order_by(Subscription.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def renew_one(
    session: Session,
    provider: Provider | None,
    subscription_id: int,
    secret: str,
    now: datetime,
    grace_days: int = GRACE_DAYS,
) -> Renewed:
    """Do what one subscription needs now, under its lock, in the caller's transaction."""
    sub = lock_subscription(session, subscription_id)
    if sub is None:
        return Renewed(subscription_id, "nothing")
    due = decide(state_of(sub), now)
    if due is Due.NOTHING:
        return Renewed(sub.id, "nothing")
    if due is Due.END:
        end(session, sub, "voluntary", sub.current_period_end or now)
        return Renewed(sub.id, "ended")
    if due is Due.END_DELINQUENT:
        end(session, sub, "delinquent", now)
        return Renewed(sub.id, "ended_delinquent")
    order = period_order(session, provider, sub, now)
    if order.status in ("paid", "partially_refunded"):  # paid by the buyer meanwhile
        return Renewed(sub.id, "nothing", order.number)
    return _charge(session, provider, sub, order, secret, now, grace_days)


def period_order(
    session: Session, provider: Provider | None, sub: Subscription, now: datetime
) -> Order:
    """The next period's order: found by its key, or made now (without a payment yet), on the
    plan a scheduled downgrade moves to."""
    key = renewal_key(sub.id, sub.period + 1)
    order = session.scalar(_locked(select(Order).where(Order.checkout_key == key)))
    if order is not None:
        return order
    if sub.status != "ended":
        apply_pending(session, sub, now)
    product = session.get(Product, sub.product_id)
    assert product is not None
    use = provider if provider is not None and sub.provider == provider.name else None
    order, _secret = open_order(session, use, sub, key, product, now, pay=False)
    return order


def saved_method(session: Session, provider: Provider, sub: Subscription) -> str | None:
    """The method to charge: the one that paid the subscription's latest paid order."""
    if sub.payment_method:
        return sub.payment_method
    payment_id = session.scalar(
        select(Order.payment_id)
        .where(Order.subscription_id == sub.id, Order.status.in_(("paid", "partially_refunded")))
        .order_by(Order.paid_at.desc(), Order.id.desc())
        .limit(1)
    )
    if not payment_id:
        return None
    try:
        sub.payment_method = provider.retrieve(payment_id).payment_method
    except PaymentError:
        return None
    return sub.payment_method


def _charge(
    session: Session,
    provider: Provider | None,
    sub: Subscription,
    order: Order,
    secret: str,
    now: datetime,
    grace_days: int,
) -> Renewed:
    """Charge the saved method; without one (a trial's end, a bank transfer) the order waits
    for the buyer, as a failed charge does."""
    if order.total_cents == 0:  # fully discounted: paid as it is made
        mark_paid(session, order, secret, now)
        return Renewed(sub.id, "paid", order.number)
    message = "no card is saved for it yet (a trial's end, or payment by bank transfer)."
    method = None
    if provider is not None and sub.provider == provider.name and sub.customer:
        method = saved_method(session, provider, sub)
    if provider is not None and method and sub.customer:
        try:
            step = _retry_step(provider, order)
        except PaymentError as exc:  # not known whether one is in progress: no charge
            return _failed(session, sub, order, now, grace_days, exc.message)
        if step is RetryStep.APPLY:  # the buyer's payment went through: it pays the period
            mark_paid(session, order, secret, now)
            learn_fee(session, provider, order.id, now)
            return Renewed(sub.id, "paid", order.number)
        if step is RetryStep.WAIT:
            return _waiting(session, sub, order, grace_days)
        metadata = {"order": order.number, "subscription": str(sub.id)}
        key = f"evergreen-renewal-{order.number}-try-{sub.failed_attempts}"  # unique per order
        try:
            result = provider.charge_saved(
                sub.customer, method, order.total_cents, order.currency, metadata, key
            )
        except PaymentError as exc:
            return _failed(session, sub, order, now, grace_days, exc.message)
        if result.payment_id:
            order.payment_id = result.payment_id
        if result.outcome is OffSession.SUCCEEDED:
            session.flush()
            mark_paid(session, order, secret, now)
            learn_fee(session, provider, order.id, now)  # a synchronous charge: known now
            return Renewed(sub.id, "paid", order.number)
        message = result.message or "The payment did not go through."
    elif order.payment_id is None:  # the buyer pays it from the link in the reminder
        use = provider if provider is not None and sub.provider == provider.name else None
        try:
            pay_again(session, use, sub, order, "due")
        except PaymentError as exc:
            return _failed(session, sub, order, now, grace_days, exc.message)
    return _failed(session, sub, order, now, grace_days, message)


def _retry_step(provider: Provider, order: Order) -> RetryStep:
    """What the order's payment allows (rules.period_payment): one still open is canceled
    first, and decided again on what the provider answers (the buyer may confirm it meanwhile);
    a provider that cannot be asked (PaymentError) is a failed attempt, never a second charge."""
    if not order.payment_id or order.provider != provider.name:
        return RetryStep.CHARGE
    payment = provider.retrieve(order.payment_id)
    step = retry_step(payment.status)
    if step is RetryStep.CANCEL_THEN_CHARGE:
        payment = provider.cancel(order.payment_id)
        step = retry_step(payment.status)
    if step is RetryStep.APPLY and payment.amount != order.total_cents:  # never paid for less
        return RetryStep.WAIT
    return RetryStep.WAIT if step is RetryStep.CANCEL_THEN_CHARGE else step  # still open


def _waiting(session: Session, sub: Subscription, order: Order, grace_days: int) -> Renewed:
    """A payment of the period is in progress (the buyer's, or the bank asked for them): no
    charge now; looked at again at the next retry's time, no failure counted."""
    if sub.grace_until is not None:
        first = sub.grace_until - timedelta(days=grace_days)
        sub.next_attempt_at = failure_plan(
            first, sub.failed_attempts + 1, grace_days
        ).next_attempt_at
    session.flush()
    message = "a payment of this period is in progress; it is not charged again."
    return Renewed(sub.id, "nothing", order.number, message=message)


def _failed(
    session: Session,
    sub: Subscription,
    order: Order,
    now: datetime,
    grace_days: int,
    message: str,
) -> Renewed:
    """Past due: the next retry and the grace period's end; a reminder mail each time."""
    sub.failed_attempts += 1
    if sub.status != "past_due":
        sub.status = "past_due"
        plan = failure_plan(now, 1, grace_days)
        if sub.period >= 1:  # a trial had no MRR to lose
            record(session, sub, "payment_failed", now)
    else:
        assert sub.grace_until is not None
        first = sub.grace_until - timedelta(days=grace_days)
        plan = failure_plan(first, sub.failed_attempts, grace_days)
    sub.grace_until, sub.next_attempt_at = plan.grace_until, plan.next_attempt_at
    session.flush()
    return Renewed(sub.id, "failed", order.number, remind=True, message=message)


def _locked(query: Select[Order]) -> Select[Order]:
    """A period's order locked and read fresh, after the subscription's lock the caller holds
    (the order as paid.lock_order locks it), so a payment applied meanwhile is seen."""
    return query.with_for_update().execution_options(populate_existing=True)


def end(session: Session, sub: Subscription, reason: str, at: datetime) -> None:
    """The subscription ends (voluntary or delinquent): what it granted stops; an unpaid
    period's order is cancelled when the end is voluntary, and kept open when it is delinquent
    (paid late, by the buyer, the owner or a late webhook, it revives the subscription)."""
    sub.status, sub.ended_at, sub.end_reason = "ended", at, reason
    sub.next_attempt_at = None
    kind = "cancel" if reason == "voluntary" else "delinquent"
    record(session, sub, kind if sub.period >= 1 else "trial_end", at)  # a trial had no MRR
    open_key = renewal_key(sub.id, sub.period + 1)
    unpaid = _locked(
        select(Order).where(Order.checkout_key == open_key, Order.status.in_(("pending", "failed")))
    )
    for order in session.scalars(unpaid) if reason == "voluntary" else ():
        order.status = "cancelled"
    delivery.revoke(session, f"subscription:{sub.id}", f"subscription ended ({reason})", at)
    session.flush()
