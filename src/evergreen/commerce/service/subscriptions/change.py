"""Plan changes, as Stripe Billing makes them: an upgrade (a higher monthly amount) takes
effect now, its prorated difference for the rest of the period charged off-session on the
saved card as an order of the subscription, keyed by the form's nonce (64 clicks at once: one
charge); if that charge fails the plan stays. A downgrade (or an upgrade of a subscription paid
by bank transfer, which cannot be charged now) is scheduled for the next renewal, shown, and
can be called off until then. The plans offered are the product's other recurring prices in
the subscription's currency and those of products in the same plan family."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.models import Order, OrderLine, Price, Product, Subscription
from evergreen.commerce.payments import OffSession, PaymentError, Provider
from evergreen.commerce.rules.billing import is_upgrade, prorate
from evergreen.commerce.rules.checkout import PAID_STATUSES, check_nonce
from evergreen.commerce.rules.plans import PeriodPrice, period_price
from evergreen.commerce.rules.products import check_text
from evergreen.commerce.service.checkout import tax_terms
from evergreen.commerce.service.paid import mark_paid
from evergreen.commerce.service.subscriptions.manage import get_subscription
from evergreen.commerce.service.subscriptions.renew import saved_method
from evergreen.commerce.service.subscriptions.switch import switch_to
from evergreen.commerce.service.subscriptions_paid import hold_of, lock_subscription, net_of
from evergreen.errors import NotFound

__all__ = [
    "ChangeQuote",
    "Changed",
    "cancel_change",
    "change_plan",
    "pending_plan",
    "plan_choices",
    "quote_change",
    "set_plan_family",
]


@dataclass(frozen=True)
class ChangeQuote:
    """What moving to a price would do: now (with the prorated charge) or at the renewal."""

    price: Price
    product: Product
    now: bool
    charge: PeriodPrice  # the prorated amount with its tax (zero when not charged now)
    at: datetime | None  # when a scheduled change takes effect


@dataclass(frozen=True)
class Changed:
    """The change made: changed (now), scheduled (at the renewal); the proration's order."""

    subscription: Subscription
    outcome: str
    order: Order | None = None


def _changeable(sub: Subscription) -> None:
    if sub.status not in ("active", "trialing") or sub.cancel_at_period_end:
        what = "set to end" if sub.cancel_at_period_end else sub.status.replace("_", " ")
        raise CommerceInputError(
            "subscription", f"a subscription that is {what} cannot change plan"
        )


def plan_choices(session: Session, sub: Subscription) -> list[tuple[Price, Product]]:
    """The recurring prices it can move to: its product's and its plan family's, in its
    currency, on sale, other than its own."""
    current = session.get(Product, sub.product_id)
    assert current is not None
    family = [Product.id == current.id]
    if current.plan_family:
        family.append(Product.plan_family == current.plan_family)
    rows = session.execute(
        select(Price, Product)
        .join(Product, Product.id == Price.product_id)
        .where(
            Price.currency == sub.currency, Price.interval.is_not(None), Price.id != sub.price_id,
            Product.kind == "subscription", Product.status == "active",
        )
        .where(family[0] if len(family) == 1 else family[0] | family[1])
        .order_by(Price.amount_cents, Price.id)
    )  # fmt: skip
    return [(price, product) for price, product in rows]


def _quote(
    session: Session, provider: Provider | None, sub: Subscription, price_id: int, now: datetime
) -> ChangeQuote:
    _changeable(sub)
    found = {p.id: (p, prod) for p, prod in plan_choices(session, sub)}
    if price_id == sub.price_id:
        raise CommerceInputError("price", "the subscription is on this plan already")
    if price_id not in found:
        raise CommerceInputError("price", "choose one of the plans offered for this subscription")
    price, product = found[price_id]
    assert price.interval is not None
    zero = PeriodPrice(0, 0, 0, 0)
    if sub.status == "trialing" or sub.current_period_start is None:
        return ChangeQuote(price, product, True, zero, None)  # nothing paid yet: no proration
    n = sub.period
    new = period_price(price.amount_cents, n, hold_of(sub), None, sub.currency).net
    old = net_of(sub, n)
    card = provider is not None and sub.provider == provider.name and bool(sub.customer)
    if not is_upgrade(old, sub.interval, new, price.interval) or not card:
        return ChangeQuote(price, product, False, zero, sub.current_period_end)
    assert sub.current_period_end is not None
    span = (sub.current_period_start, sub.current_period_end)
    owed = prorate(old, sub.interval, new, price.interval, span, now, sub.currency)
    tax = tax_terms(session, sub.country, sub.region)
    return ChangeQuote(price, product, True, period_price(owed, 1, None, tax, sub.currency), None)


def quote_change(
    session: Session,
    provider: Provider | None,
    subscription_id: int,
    price_id: int,
    now: datetime,
    email: str | None = None,
) -> ChangeQuote:
    """What the confirmation page shows: now with the prorated amount, or at the renewal."""
    sub = get_subscription(session, subscription_id, email)
    return _quote(session, provider, sub, price_id, now)


def change_plan(
    session: Session,
    provider: Provider | None,
    subscription_id: int,
    price_id: int,
    nonce: str,
    secret: str,
    now: datetime,
    email: str | None = None,
) -> Changed:
    """Change the plan: an upgrade now (charged first), a downgrade at the renewal. The same
    nonce again answers the change it made, never a second charge."""
    key = check_nonce(nonce)
    get_subscription(session, subscription_id, email)
    sub = lock_subscription(session, subscription_id)
    assert sub is not None
    order_key = f"change:{sub.id}:{key}"
    done = session.scalar(select(Order).where(Order.checkout_key == order_key))
    if done is not None and done.status in PAID_STATUSES:
        return Changed(sub, "changed", done)
    if sub.price_id == price_id:
        return Changed(sub, "changed")  # made by the same click a moment ago
    if sub.pending_price_id == price_id:
        return Changed(sub, "scheduled")
    quote = _quote(session, provider, sub, price_id, now)
    if not quote.now:
        sub.pending_price_id = quote.price.id
        session.flush()
        return Changed(sub, "scheduled")
    order = None
    if quote.charge.total > 0:
        assert provider is not None
        order = _charge(session, provider, sub, quote, order_key, secret, now)
    switch_to(session, sub, quote.price, now)
    return Changed(sub, "changed", order)


def _charge(
    session: Session,
    provider: Provider,
    sub: Subscription,
    quote: ChangeQuote,
    order_key: str,
    secret: str,
    now: datetime,
) -> Order:
    """The prorated difference charged on the saved card, as a paid order of the subscription;
    a refusal raises (nothing is kept: the plan stays as it was)."""
    method = saved_method(session, provider, sub)
    if not method or not sub.customer:
        raise CommerceInputError("card", "no card is saved for this subscription; change it first")
    with session.begin_nested():  # a refusal leaves no order behind
        charge = quote.charge
        order = Order(
            number=secrets.token_hex(6).upper(), status="pending", currency=sub.currency,
            subtotal_cents=charge.amount, tax_cents=charge.tax, total_cents=charge.total,
            buyer_email=sub.buyer_email, buyer_name=sub.buyer_name, buyer_country=sub.country,
            buyer_region=sub.region, provider=provider.name, checkout_key=order_key,
            click_id=sub.click_id, subscription_id=sub.id, created_at=now,
        )  # fmt: skip
        session.add(order)
        session.flush()
        session.add(
            OrderLine(
                order_id=order.id, product_id=quote.product.id, product_name=quote.product.name,
                role="main", unit_cents=charge.amount, tax_cents=charge.tax,
                total_cents=charge.total,
            )
        )  # fmt: skip
        metadata = {"order": order.number, "subscription": str(sub.id)}
        try:
            result = provider.charge_saved(
                sub.customer, method, charge.total, sub.currency, metadata,
                f"evergreen-change-{order.number}",  # unique per order
            )  # fmt: skip
        except PaymentError as exc:
            raise CommerceInputError(
                "payment", f"the plan was not changed: {exc.message}"
            ) from None
        if result.outcome is not OffSession.SUCCEEDED:
            message = result.message or "the payment did not go through"
            raise CommerceInputError("payment", f"the plan was not changed: {message}")
    order.payment_id = result.payment_id
    session.flush()
    mark_paid(session, order, secret, now)
    return order


def cancel_change(session: Session, subscription_id: int, email: str | None = None) -> Subscription:
    """Call off a scheduled change before the renewal: it renews on its plan as before."""
    get_subscription(session, subscription_id, email)
    sub = lock_subscription(session, subscription_id)
    assert sub is not None
    if sub.pending_price_id is None:
        raise CommerceInputError("subscription", "no plan change is scheduled")
    sub.pending_price_id = None
    session.flush()
    return sub


def pending_plan(session: Session, sub: Subscription) -> tuple[Price, Product] | None:
    """The plan a scheduled change moves to at the renewal (None: none)."""
    if sub.pending_price_id is None:
        return None
    price = session.get(Price, sub.pending_price_id)
    product = session.get(Product, price.product_id) if price is not None else None
    return (price, product) if price is not None and product is not None else None


def set_plan_family(session: Session, product_id: int, family: str) -> Product:
    """Mark a subscription product as a plan of a family ("" for none): its subscribers can move
    to the family's other plans (a yearly product beside a monthly one, a higher tier)."""
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound("product", "no such product")
    if product.kind != "subscription":
        raise CommerceInputError("plan_family", "only a subscription product is a plan")
    product.plan_family = check_text("plan_family", family, 60)
    session.flush()
    return product
