"""Subscriptions as the owner and the buyer manage them: list and read one with its orders and
events, cancel (at the period's end by default, or now), reactivate before the end, pay a
past-due period again with a new card (a fresh payment the buyer confirms, saving the method),
and change the card renewals are charged on (a card setup the buyer confirms)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.models import Order, Product, Subscription, SubscriptionEvent
from evergreen.commerce.payments import PaymentError, Provider
from evergreen.commerce.rules.billing import STATUSES, check_cancel, check_reactivate, renewal_key
from evergreen.commerce.rules.period_payment import BUYER, PAYER, BuyerStep, buyer_step
from evergreen.commerce.service.subscriptions.renew import end, period_order
from evergreen.commerce.service.subscriptions.start import pay_again
from evergreen.commerce.service.subscriptions_paid import lock_subscription, record
from evergreen.errors import NotFound

__all__ = [
    "SUBSCRIPTIONS_PAGE",
    "SubscriptionCard",
    "cancel",
    "finish_card_change",
    "get_subscription",
    "list_subscriptions",
    "pay_period",
    "reactivate",
    "start_card_change",
    "subscription_card",
    "subscriptions_of_email",
]

SUBSCRIPTIONS_PAGE = 50


@dataclass(frozen=True)
class SubscriptionCard:
    """One subscription with its product, period orders (newest first) and events."""

    subscription: Subscription
    product: Product
    orders: list[Order]
    events: list[SubscriptionEvent]


def get_subscription(
    session: Session, subscription_id: int, email: str | None = None
) -> Subscription:
    """One subscription; with `email`, only that buyer's (another's is not found)."""
    row = session.get(Subscription, subscription_id)
    if row is None or (email is not None and row.buyer_email.lower() != email.lower()):
        raise NotFound("subscription", "no such subscription")
    return row


def subscription_card(session: Session, subscription_id: int) -> SubscriptionCard:
    """A subscription with what its page shows."""
    sub = get_subscription(session, subscription_id)
    product = session.get(Product, sub.product_id)
    assert product is not None
    orders = session.scalars(
        select(Order).where(Order.subscription_id == sub.id).order_by(Order.id.desc())
    )
    events = session.scalars(
        select(SubscriptionEvent)
        .where(SubscriptionEvent.subscription_id == sub.id)
        .order_by(SubscriptionEvent.id.desc())
    )
    return SubscriptionCard(sub, product, list(orders), list(events))


def list_subscriptions(
    session: Session, status: str | None = None, page: int = 1
) -> tuple[list[tuple[Subscription, str]], int]:
    """Subscriptions newest first with their product's name, and how many match."""
    if status is not None and status not in STATUSES:
        raise CommerceInputError("status", f"must be one of {', '.join(STATUSES)}")
    where = [Subscription.status == status] if status else []
    total = session.scalar(select(func.count()).select_from(Subscription).where(*where)) or 0
    rows = session.execute(
        select(Subscription, Product.name)
        .join(Product, Product.id == Subscription.product_id)
        .where(*where)
        .order_by(Subscription.id.desc())
        .limit(SUBSCRIPTIONS_PAGE)
        .offset((max(page, 1) - 1) * SUBSCRIPTIONS_PAGE)
    )
    return [(sub, name) for sub, name in rows], int(total)


def subscriptions_of_email(session: Session, email: str) -> list[tuple[Subscription, str]]:
    """A buyer's subscriptions (the buyers' area), newest first, with their product's name."""
    rows = session.execute(
        select(Subscription, Product.name)
        .join(Product, Product.id == Subscription.product_id)
        .where(func.lower(Subscription.buyer_email) == email.lower())
        .where(Subscription.status != "incomplete")
        .order_by(Subscription.id.desc())
    )
    return [(sub, name) for sub, name in rows]


def cancel(
    session: Session,
    subscription_id: int,
    now: datetime,
    *,
    at_period_end: bool = True,
    email: str | None = None,
) -> Subscription:
    """Cancel: at the period's end (it keeps running until then, and can be reactivated), or
    now (it ends at once and what it granted stops)."""
    get_subscription(session, subscription_id, email)
    sub = lock_subscription(session, subscription_id)
    assert sub is not None
    check_cancel(sub.status, sub.cancel_at_period_end, at_period_end)
    sub.canceled_at = now
    if at_period_end:
        sub.cancel_at_period_end = True
        if sub.status == "trialing":
            sub.status = "canceled"
        session.flush()
        return sub
    end(session, sub, "voluntary", now)
    return sub


def reactivate(
    session: Session, subscription_id: int, now: datetime, *, email: str | None = None
) -> Subscription:
    """Undo a cancellation at the period's end, before that end: it renews again."""
    get_subscription(session, subscription_id, email)
    sub = lock_subscription(session, subscription_id)
    assert sub is not None
    check_reactivate(sub.status, sub.cancel_at_period_end, sub.current_period_end, now)
    sub.cancel_at_period_end, sub.canceled_at = False, None
    if sub.status == "canceled":
        sub.status = "trialing" if sub.period == 0 else "active"
    record(session, sub, "uncancel", now)
    session.flush()
    return sub


def pay_period(
    session: Session,
    provider: Provider | None,
    subscription_id: int,
    now: datetime,
    email: str | None = None,
) -> Order:
    """A past-due period's order with a fresh payment for the buyer to confirm (Stripe.js; the
    card used is saved for the next renewals), or its bank-transfer details; paid after a
    delinquent end, it revives the subscription."""
    get_subscription(session, subscription_id, email)
    sub = lock_subscription(session, subscription_id)
    assert sub is not None
    revivable = sub.status == "ended" and sub.end_reason == "delinquent"
    if sub.status != "past_due" and not revivable:
        raise CommerceInputError("subscription", "nothing is due on this subscription")
    order = period_order(session, provider, sub, now)
    if order.status == "cancelled":
        raise CommerceInputError("subscription", "this subscription has ended; subscribe again")
    use = provider if provider is not None and sub.provider == provider.name else None
    opened = (
        use is not None and order.provider == use.name and order.status in ("pending", "failed")
    )
    if order.payment_id is None or opened:
        try:
            if _buyer_step(use, order) is BuyerStep.OPEN:
                pay_again(session, use, sub, order, f"card-{sub.failed_attempts}")
        except PaymentError as exc:
            raise CommerceInputError("payment", exc.message) from None
        order.status = "pending"
    assert order.checkout_key == renewal_key(sub.id, sub.period + 1)
    session.flush()
    return order


def _buyer_step(provider: Provider | None, order: Order) -> BuyerStep:
    """Whether the buyer gets a fresh payment or the one the order has (rules.period_payment):
    a retry's unconfirmed charge is canceled first; one being processed is waited for."""
    if provider is None or not order.payment_id or order.provider == "manual":
        return BuyerStep.OPEN  # a bank transfer's details are shown again as they were
    payment = provider.retrieve(order.payment_id)
    step = buyer_step(payment.status, payment.metadata.get(PAYER) == BUYER)
    if step is BuyerStep.CANCEL_THEN_OPEN:
        payment = provider.cancel(order.payment_id)
        step = buyer_step(payment.status, payment.metadata.get(PAYER) == BUYER)
    if step in (BuyerStep.REFUSE, BuyerStep.CANCEL_THEN_OPEN):
        raise CommerceInputError(
            "payment",
            "a payment of this period is being processed; you get a receipt by email when it "
            "goes through, or can pay again here if it does not",
        )
    return step


def start_card_change(
    session: Session,
    provider: Provider | None,
    subscription_id: int,
    nonce: str,
    email: str | None = None,
) -> str:
    """A card setup on the subscription's customer for the buyer to confirm with Stripe.js;
    its client secret (the same form sent twice: the same setup)."""
    sub = get_subscription(session, subscription_id, email)
    if sub.status in ("ended", "incomplete"):
        raise CommerceInputError("subscription", f"a subscription that is {sub.status} has no card")
    if provider is None or sub.provider != provider.name or not sub.customer:
        raise CommerceInputError("payment", "this subscription is paid by bank transfer")
    metadata = {"subscription": str(sub.id)}
    try:
        key = f"evergreen-card-{sub.customer}-{nonce[:100]}"  # customer ids are unique
        setup = provider.create_setup(sub.customer, metadata, key)
    except PaymentError as exc:
        raise CommerceInputError("payment", exc.message) from None
    if not setup.client_secret:
        raise CommerceInputError("payment", "the card form cannot be shown; try again")
    return setup.client_secret


def finish_card_change(
    session: Session,
    provider: Provider | None,
    subscription_id: int,
    setup_id: str,
    email: str | None = None,
) -> Subscription:
    """The confirmed setup's card becomes the one renewals are charged on."""
    get_subscription(session, subscription_id, email)
    sub = lock_subscription(session, subscription_id)
    assert sub is not None
    if provider is None or sub.provider != provider.name:
        raise CommerceInputError("payment", "this subscription is paid by bank transfer")
    try:
        setup = provider.retrieve_setup(setup_id[:255])
    except (PaymentError, NotFound):
        raise CommerceInputError("setup", "this card change is not known; try again") from None
    if setup.customer != sub.customer or setup.metadata.get("subscription") != str(sub.id):
        raise CommerceInputError("setup", "this card change is not for this subscription")
    if setup.status != "succeeded" or not setup.payment_method:
        raise CommerceInputError("card", "the card was not saved; try again or use another")
    sub.payment_method = setup.payment_method
    session.flush()
    return sub
