"""An order's money as it moves: paid once, failed, refunded in part or in full. Each change
happens under the order's row lock, in the caller's transaction, and takes the ledger, the
partner program and the buyer's audience activity along, so replays see it done and do nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from evergreen.audience import service as audience
from evergreen.commerce.models import Coupon, Order, OrderLine, Product, Subscription
from evergreen.commerce.rules.checkout import PAID_STATUSES, refund_shares, status_after_refund
from evergreen.commerce.rules.fees import fee_known_when_paid
from evergreen.commerce.rules.payments import EventKind, PaymentEvent
from evergreen.commerce.service import cancellations, delivery, rollups, shipping
from evergreen.commerce.service.subscriptions_paid import period_paid
from evergreen.errors import InputError
from evergreen.ledger import service as ledger
from evergreen.partners import service as partners

__all__ = [
    "Applied",
    "apply_event",
    "lines_of",
    "lock_order",
    "mark_failed",
    "mark_paid",
    "mark_refunded",
    "post_fee",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Applied:
    """What an event or a check did: the order it touched and whether it just became paid."""

    order_number: str | None
    changed: bool = False
    newly_paid: bool = False
    duplicate: bool = False
    note: str = ""
    fee_learned: bool = False  # the provider's fee became known (and was posted) now


def lock_order(session: Session, order_id: int) -> Order | None:
    """The order, locked until this unit of work ends, read fresh (another session may have
    changed it while this one waited). A subscription's order is locked after its
    subscription, as renewals, cancels and plan changes lock them (they lock the subscription,
    then its period's order): paying a period never waits on them in a circle."""
    subscription_id = session.scalar(select(Order.subscription_id).where(Order.id == order_id))
    if subscription_id is not None:  # never changes once set: safe to read unlocked
        session.execute(
            select(Subscription.id).where(Subscription.id == subscription_id).with_for_update()
        )
    query = (
        select(Order)
        .where(Order.id == order_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalar(query)


def _order_of(session: Session, provider: str, event: PaymentEvent) -> Order | None:
    """The order an event is about: by payment id, else by the order number in its metadata
    (an order whose process died before it stored the payment id)."""
    if event.payment_id:
        found = session.scalar(
            select(Order.id).where(Order.provider == provider, Order.payment_id == event.payment_id)
        )
        if found is not None:
            return lock_order(session, found)
    number = event.metadata.get("order", "")
    found = session.scalar(select(Order.id).where(Order.number == number[:24])) if number else None
    if found is None:
        return None
    order = lock_order(session, found)
    if order is not None and order.provider == provider and order.payment_id is None:
        order.payment_id = event.payment_id
    return order


def apply_event(
    session: Session, provider: str, event: PaymentEvent, secret: str, now: datetime
) -> Applied:
    """Apply a verified, first-seen provider event to its order."""
    order = _order_of(session, provider, event)
    if order is None:
        return Applied(None, note="no order for this payment")
    if event.kind is EventKind.SUCCEEDED:
        if event.amount and event.amount != order.total_cents:  # never paid for less
            return Applied(order.number, note="the payment's amount does not match the order")
        return mark_paid(session, order, secret, now)
    if event.kind is EventKind.FAILED:
        return mark_failed(order, now)
    if event.kind is EventKind.REFUNDED:
        # Stripe's charge.refunded carries the charge's refunded total, so the larger of what
        # is known and what the event says is the total: a replay or an older event adds nothing.
        return mark_refunded(session, order, max(order.refunded_cents, event.amount), now)
    return Applied(order.number, note=f"{event.type} changes nothing")


def mark_failed(order: Order, now: datetime) -> Applied:
    """A pending order's payment failed (the buyer may still pay it: a success wins later)."""
    if order.status != "pending":
        return Applied(order.number)
    order.status = "failed"
    return Applied(order.number, changed=True)


def mark_paid(session: Session, order: Order, secret: str, now: datetime) -> Applied:
    """The money arrived: paid once, with the ledger, commission and audience fed once."""
    if order.status in PAID_STATUSES:
        return Applied(order.number)
    order.status = status_after_refund(order.total_cents, order.refunded_cents)
    order.paid_at = now
    if fee_known_when_paid(order.provider, order.total_cents):  # no fee: known now
        order.fee_cents, order.fee_known_at = 0, now
    if order.refunded_cents:
        order.refunded_at = now
    if order.coupon_code:
        session.execute(
            update(Coupon)
            .where(Coupon.code == order.coupon_code)
            .values(redemptions=Coupon.redemptions + 1)
        )
    session.flush()
    lines = lines_of(session, order.id)
    _post(session, order, lines, now)
    rollups.funnel_paid(session, order)
    _partner_sale(session, order, now)
    if order.refunded_cents:
        _partner_refund(session, order, order.refunded_cents, now)
    _audience(session, order, lines, secret, now)
    _fulfil(session, order, lines)
    if order.refunded_cents:  # refunded before it was paid: its supplier orders stop at once
        cancellations.stop_for_refund(session, order, now)
    if order.status == "refunded":
        _unfulfil(session, order, "refunded")
    period_paid(session, order, now)  # a subscription's period: it begins (or is recovered)
    return Applied(order.number, changed=True, newly_paid=True)


def mark_refunded(session: Session, order: Order, refunded_total: int, now: datetime) -> Applied:
    """Money went back: `refunded_total` cents of the order so far (never less than known)."""
    refunded_total = min(refunded_total, order.total_cents)
    if refunded_total <= order.refunded_cents:
        return Applied(order.number)
    delta = refunded_total - order.refunded_cents
    order.refunded_cents, order.refunded_at = refunded_total, now
    if order.status not in PAID_STATUSES:  # a refund seen before the payment: kept for then
        session.flush()
        return Applied(order.number, changed=True)
    order.status = status_after_refund(order.total_cents, refunded_total)
    session.flush()
    _post(session, order, lines_of(session, order.id), now)
    rollups.funnel_refund(session, order, delta)
    _partner_refund(session, order, delta, now)
    cancellations.stop_for_refund(session, order, now)  # supplier orders the refund covers
    if order.status == "refunded":
        _unfulfil(session, order, "refunded")
    return Applied(order.number, changed=True)


def lines_of(session: Session, order_id: int) -> list[tuple[OrderLine, Product]]:
    """An order's lines with their products, in order (the first is the main product)."""
    rows = session.execute(
        select(OrderLine, Product)
        .join(Product, Product.id == OrderLine.product_id)
        .where(OrderLine.order_id == order_id)
        .order_by(OrderLine.id)
    )
    return [(line, product) for line, product in rows]


def _cents(value: int) -> Decimal:
    return (Decimal(value) / 100).quantize(Decimal("0.01"))


def _net(total: int, tax: int, kept: int) -> int:
    """The part of `kept` (of a line's `total`, tax included) that is not tax."""
    if total <= 0:
        return 0
    tax_kept = (Decimal(tax) * kept / total).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return kept - int(tax_kept)


def _post(
    session: Session, order: Order, lines: list[tuple[OrderLine, Product]], now: datetime
) -> None:
    """Each line's net income as it stands now (refunds shared in proportion), and the fee."""
    paid_on = (order.paid_at or now).date()
    shares = refund_shares(order.refunded_cents, [line.total_cents for line, _p in lines])
    for (line, product), refunded in zip(lines, shares, strict=True):
        kept = line.total_cents - refunded
        ledger.post_commerce_sale(
            session, line_id=line.id, order_number=order.number, product_id=product.id,
            product_name=product.name, product_kind=product.kind,
            paid=order.status in PAID_STATUSES,
            amount=_cents(_net(line.total_cents, line.tax_cents, kept)),
            currency=order.currency, paid_on=paid_on, today=now.date(),
        )  # fmt: skip
    post_fee(session, order, lines, now)


def post_fee(
    session: Session, order: Order, lines: list[tuple[OrderLine, Product]], now: datetime
) -> None:
    """The provider's fee as a cost in the main product's stream; the ledger's feed row makes
    it once per order however often it is asked (a refund leaves it: Stripe keeps its fee)."""
    if order.fee_cents and lines:
        _line, product = lines[0]
        ledger.post_commerce_fee(
            session, order_id=order.id, order_number=order.number, product_id=product.id,
            product_name=product.name, amount=_cents(order.fee_cents), currency=order.currency,
            paid_on=(order.paid_at or now).date(),
        )  # fmt: skip


def _conversion(session: Session, order: Order, data: partners.ConversionIn) -> None:
    """Tell the partner program, in a savepoint: a program in another currency (or any refusal)
    is logged and leaves the order paid."""
    try:
        with session.begin_nested():
            program = partners.default_program(session, order.currency)
            if program.currency != order.currency:
                log.warning("order %s: partner program is in %s", order.number, program.currency)
                return
            partners.record_conversion(session, program, data, actor="commerce")
    except InputError as exc:
        log.warning("order %s: partner conversion refused: %s", order.number, exc)


def _partner_sale(session: Session, order: Order, now: datetime) -> None:
    net = order.total_cents - order.tax_cents
    if net <= 0:
        return
    data = partners.ConversionIn(
        idempotency_key=f"commerce:{order.number}:sale", event=partners.EventType.SALE,
        amount=_cents(net), currency=order.currency, customer_id=order.buyer_email.lower(),
        occurred_at=order.paid_at or now, customer_email=order.buyer_email,
        order_id=order.number, click_id=order.click_id, coupon=order.coupon_code,
        extends=_parent_number(session, order),
    )  # fmt: skip
    _conversion(session, order, data)


def _parent_number(session: Session, order: Order) -> str:
    """The front-end order a one-click upsell or downsell was taken after ("" for any other)."""
    if order.parent_order_id is None or order.subscription_id is not None:
        return ""
    parent = session.get(Order, order.parent_order_id)
    return parent.number if parent is not None else ""


def _partner_refund(session: Session, order: Order, delta: int, now: datetime) -> None:
    """A refund step, net of tax, keyed by the refunded total it reaches (so once each)."""
    net = _net(order.total_cents, order.tax_cents, delta)
    if net <= 0:
        return
    data = partners.ConversionIn(
        idempotency_key=f"commerce:{order.number}:refund:{order.refunded_cents}",
        event=partners.EventType.REFUND, amount=_cents(net), currency=order.currency,
        customer_id=order.buyer_email.lower(), occurred_at=now,
        customer_email=order.buyer_email, order_id=order.number,
    )  # fmt: skip
    _conversion(session, order, data)


def _audience(
    session: Session,
    order: Order,
    lines: list[tuple[OrderLine, Product]],
    secret: str,
    now: datetime,
) -> None:
    """The buyer becomes (or stays) a subscriber with a `purchased` activity per product, which
    the sequences' bought trigger watches."""
    try:
        with session.begin_nested():
            person = audience.find_or_add(
                session, secret, order.buyer_email, audience.Source.PURCHASE,
                name=order.buyer_name, name_if_none=True,
            )  # fmt: skip
            for _line, product in lines:
                audience.record_activity(session, person.id, "purchased", product.slug, now)
    except InputError as exc:
        log.warning("order %s: buyer not added to the audience: %s", order.number, exc)


def _fulfil(session: Session, order: Order, lines: list[tuple[OrderLine, Product]]) -> None:
    """Grant what the order bought (downloads, license keys), once per product and order."""
    try:
        with session.begin_nested():  # all of the order's grants or none
            made = []
            for product_id in dict.fromkeys(product.id for _line, product in lines):
                made += delivery.grant(session, product_id, order.buyer_email, source_of(order))
            if order.subscription_id is not None and made:  # the plan paid for now, alone
                delivery.keep_only(session, source_of(order), made, delivery.MOVED_AWAY)
    except InputError as exc:  # the payment stands; the owner can grant by hand
        log.warning("order %s: not granted: %s", order.number, exc)
    shipping.after_paid(session, order, lines, order.paid_at)  # supplier orders, engagements


def _unfulfil(session: Session, order: Order, reason: str) -> None:
    """Take back what a fully refunded order granted: its links stop, its keys are disabled. A
    subscription's period refunded is that period's money only: access continues (the owner
    ends the subscription with "refund and cancel now")."""
    if order.subscription_id is not None:
        return
    delivery.revoke(session, source_of(order), reason)


def source_of(order: Order) -> str:
    """What the order's grants name as their source (a subscription's orders share one)."""
    if order.subscription_id is not None:
        return f"subscription:{order.subscription_id}"
    return f"order:{order.number}"
