"""Subscribing at /subscribe/<slug>: the plan priced by the server (a coupon kept for its
duration, the tax of the buyer's place read again each period), the subscription opened
with its first period's order (paid like any order; Stripe saves the card on a customer for the
renewals), or, with a trial, no charge now: the first period's order comes at the trial's end,
with a link to pay it (the method paid with then is saved for the renewals)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.models import Coupon, Order, OrderLine, Price, Product, Subscription
from evergreen.commerce.payments import PaymentError, Provider
from evergreen.commerce.rules.billing import order_period
from evergreen.commerce.rules.cart import CouponTerms, check_coupon_code, coupon_problem
from evergreen.commerce.rules.checkout import check_buyer_email, check_nonce
from evergreen.commerce.rules.period_payment import BUYER, PAYER
from evergreen.commerce.rules.plans import coupon_periods, period_price
from evergreen.commerce.rules.products import (
    check_country,
    check_currency_code,
    check_region,
    check_text,
)
from evergreen.commerce.service.checkout import claim_coupon, tax_terms
from evergreen.commerce.service.subscriptions_paid import hold_of
from evergreen.errors import NotFound

__all__ = ["Plan", "SubscribeInput", "Subscribed", "open_order", "plan_of", "subscribe"]


@dataclass(frozen=True)
class SubscribeInput:
    """What the buyer sent: the plan's currency and who they are, never an amount."""

    slug: str
    currency: str
    email: str
    nonce: str
    name: str = ""
    click_id: str = ""
    funnel_id: int | None = None
    step_id: int | None = None
    coupon: str = ""
    country: str = ""
    region: str = ""


@dataclass(frozen=True)
class Plan:
    """A subscription product on sale and its recurring prices per currency."""

    product: Product
    prices: dict[str, Price]


@dataclass(frozen=True)
class Subscribed:
    """The subscription opened (or found again), its first order (None in a trial) and what
    the buyer's browser needs to pay it."""

    subscription: Subscription
    order: Order | None
    client_secret: str | None
    created: bool


def plan_of(session: Session, slug: str) -> Plan:
    """The subscription product on sale at /subscribe/<slug>."""
    product = session.scalar(select(Product).where(Product.slug == slug[:80]))
    if product is None or product.status != "active" or product.kind != "subscription":
        raise NotFound("product", "this subscription is not on sale")
    rows = session.scalars(select(Price).where(Price.product_id == product.id))
    return Plan(product, {row.currency: row for row in rows if row.interval})


def _found(session: Session, key: str) -> Subscribed | None:
    sub = session.scalar(select(Subscription).where(Subscription.checkout_key == key))
    if sub is None:
        return None
    order = session.scalar(select(Order).where(Order.checkout_key == key))
    return Subscribed(sub, order, None, created=False)


def subscribe(
    session: Session, provider: Provider | None, data: SubscribeInput, now: datetime
) -> Subscribed:
    """Open the subscription (and its first order unless in a trial); the same nonce again
    answers the same subscription."""
    key = check_nonce(data.nonce)
    again = _found(session, key)
    if again is not None:
        return again
    email = check_buyer_email(data.email)
    name = check_text("name", data.name, 200)
    plan = plan_of(session, data.slug)
    currency = check_currency_code("currency", data.currency)
    price = plan.prices.get(currency)
    if price is None:
        raise CommerceInputError("currency", f"{plan.product.name} has no price in {currency}")
    assert price.interval is not None
    use = provider if provider is not None and price.amount_cents > 0 else None
    country = check_country(data.country) if data.country.strip() else ""
    sub = Subscription(
        checkout_key=key, product_id=plan.product.id, price_id=price.id, buyer_email=email,
        buyer_name=name, currency=currency, amount_cents=price.amount_cents,
        interval=price.interval, status="incomplete", provider=use.name if use else "manual",
        click_id=check_text("click_id", data.click_id, 100), funnel_id=data.funnel_id,
        step_id=data.step_id, created_at=now, country=country,
        region=check_region(data.region) if country else "",
    )  # fmt: skip
    _hold_coupon(session, sub, data.coupon, now)
    try:
        with session.begin_nested():  # the same nonce twice at once: one subscription
            session.add(sub)
            session.flush()
            if use is not None:
                sub.customer = use.create_customer(email, name, f"evergreen-sub-{key}")
            if price.trial_days:
                sub.status, sub.started_at = "trialing", now
                sub.trial_end = now + timedelta(days=price.trial_days)
                sub.current_period_start, sub.current_period_end = now, sub.trial_end
                session.flush()
                return Subscribed(sub, None, None, created=True)
            order, secret = open_order(session, use, sub, key, plan.product, now)
    except IntegrityError:
        found = _found(session, key)
        if found is None:
            raise
        return found
    except PaymentError as exc:
        raise CommerceInputError("payment", exc.message) from None
    return Subscribed(sub, order, secret, created=True)


def _hold_coupon(session: Session, sub: Subscription, code: str, now: datetime) -> None:
    """The coupon typed at subscribe, checked as the cart checks one (a capped one's open
    orders included, under its lock: `claim_coupon`), kept on the subscription with its
    duration (once, repeating N periods, forever)."""
    if not code.strip():
        return
    claim_coupon(session, check_coupon_code(code), sub.buyer_email, now)
    row = session.scalar(select(Coupon).where(Coupon.code == check_coupon_code(code)))
    if row is None:
        raise CommerceInputError("coupon", f"{code.strip().upper()} is not a valid coupon")
    terms = CouponTerms(
        row.code, row.percent_off, row.amount_off_cents, row.currency, row.product_id,
        row.expires_at, row.max_redemptions, row.redemptions,
    )  # fmt: skip
    problem = coupon_problem(terms, now)
    if problem:
        raise CommerceInputError("coupon", problem)
    if row.product_id is not None and row.product_id != sub.product_id:
        raise CommerceInputError("coupon", f"{row.code} does not apply to this plan")
    if row.currency is not None and row.currency != sub.currency:
        raise CommerceInputError("coupon", f"{row.code} is for {row.currency} orders")
    sub.coupon_code, sub.coupon_percent_off = row.code, row.percent_off
    sub.coupon_amount_off_cents = row.amount_off_cents
    sub.coupon_periods = coupon_periods(row.duration, row.duration_periods)


def open_order(
    session: Session,
    provider: Provider | None,
    sub: Subscription,
    key: str,
    product: Product,
    now: datetime,
    *,
    pay: bool = True,
) -> tuple[Order, str | None]:
    """A period's order, keyed `key`, with its payment opened for the buyer to pay (Stripe: on
    the subscription's customer, the method saved for the renewals; else a bank transfer);
    `pay=False` leaves the payment to the caller (a renewal charged on the saved card)."""
    n = order_period(key)
    priced = period_price(
        sub.amount_cents,
        n,
        hold_of(sub),
        tax_terms(session, sub.country, sub.region),
        sub.currency,
    )  # the tax rate as it is now, each period
    order = Order(
        number=secrets.token_hex(6).upper(), status="pending", currency=sub.currency,
        subtotal_cents=priced.amount, discount_cents=priced.discount, tax_cents=priced.tax,
        total_cents=priced.total, buyer_email=sub.buyer_email, buyer_name=sub.buyer_name,
        buyer_country=sub.country, buyer_region=sub.region,
        provider=provider.name if provider is not None else "manual", checkout_key=key,
        # The first period redeems the coupon (counted once); later ones show the discount.
        coupon_code=sub.coupon_code if n == 1 else "", click_id=sub.click_id,
        funnel_id=sub.funnel_id, step_id=sub.step_id, subscription_id=sub.id, created_at=now,
    )  # fmt: skip
    session.add(order)
    session.flush()
    session.add(
        OrderLine(
            order_id=order.id, product_id=product.id, product_name=product.name, role="main",
            unit_cents=priced.amount, discount_cents=priced.discount, tax_cents=priced.tax,
            total_cents=priced.total,
        )
    )  # fmt: skip
    if priced.total == 0:  # a coupon's 100 % off: nothing to pay, the caller marks it paid
        order.provider, order.payment_id = "manual", f"free_{order.number}"
        session.flush()
        return order, None
    if not pay:
        session.flush()
        return order, None
    return order, pay_again(session, provider, sub, order, "first")


def pay_again(
    session: Session, provider: Provider | None, sub: Subscription, order: Order, attempt: str
) -> str | None:
    """Open a payment the buyer makes themselves for a period's order (the first, or a failed
    renewal with a new card); the client secret for Stripe.js, None for a bank transfer."""
    if provider is None or order.provider == "manual":
        order.payment_id = f"man_{order.number}"
        session.flush()
        return None
    metadata = {"order": order.number, "subscription": str(sub.id), PAYER: BUYER}
    payment = provider.create_payment(
        order.total_cents, order.currency, metadata,
        f"evergreen-period-{order.number}-{attempt}", customer=sub.customer,
        save_method=True,
    )  # fmt: skip
    order.payment_id = payment.id
    session.flush()
    return payment.client_secret
