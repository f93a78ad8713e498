"""One-click upsells and downsells: after a funnel's front-end order is paid, an offer step
charges the method that order saved, off-session, as a child order priced by the server.

The child's checkout key comes from the parent's number and the step, and the parent's row is
locked while the child is made, so a double click, a reload or many concurrent posts find one
order and one charge (the provider's idempotency key is derived from the same key)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.models import Order, Price, Product
from evergreen.commerce.payments import OffSession, OffSessionResult, PaymentError, Provider
from evergreen.commerce.rules.cart import Cart, CartItem, CartProduct, price_cart
from evergreen.commerce.rules.checkout import order_token, read_order_token
from evergreen.commerce.rules.products import from_cents
from evergreen.commerce.rules.upsells import (
    UpsellStep,
    charge_key,
    check_parent,
    one_click_ready,
    role_of,
    upsell_key,
)
from evergreen.commerce.service.checkout import client_secret_of, store_lines, tax_terms
from evergreen.commerce.service.fees import learn_fee
from evergreen.commerce.service.paid import lock_order, mark_failed, mark_paid
from evergreen.errors import NotFound

__all__ = [
    "OffSession",
    "Taken",
    "UpsellOffer",
    "children_of",
    "order_link",
    "take_upsell",
    "upsell_offer",
]


@dataclass(frozen=True)
class UpsellOffer:
    """What an offer page shows a buyer who came with their order's link."""

    parent_number: str
    product_slug: str
    product_name: str
    total_cents: int  # what one click charges, tax included
    currency: str
    price: str  # the total as the button says it, e.g. "19.00 EUR"
    one_click: bool  # a saved method to charge; else the product's normal checkout
    taken: str | None  # the child order's status when this step was already answered


@dataclass(frozen=True)
class Taken:
    """What one click did: the child order, how the charge ended, what the buyer needs next."""

    order: Order
    outcome: OffSession
    created: bool
    newly_paid: bool = False
    client_secret: str | None = None  # requires_action: Stripe.js confirms with it
    message: str = ""


def _parent(session: Session, secret: str, token: str) -> Order | None:
    try:
        number = read_order_token(secret, token)
    except CommerceInputError:
        return None
    return session.scalar(select(Order).where(Order.number == number))


def _product(session: Session, product_id: int) -> tuple[Product, dict[str, int]] | None:
    row = session.get(Product, product_id)
    if row is None or row.status != "active" or row.kind == "subscription":
        return None
    prices = session.scalars(select(Price).where(Price.product_id == row.id))
    return row, {p.currency: p.amount_cents for p in prices if p.interval is None}


def _cart(session: Session, parent: Order, step: UpsellStep, now: datetime) -> tuple[Product, Cart]:
    """The offer priced from the catalog in the parent's currency and tax place, no coupon."""
    product_id, role = role_of(step)
    found = _product(session, product_id)
    if found is None:
        raise CommerceInputError("product_id", "this offer is no longer on sale")
    product, prices = found
    if parent.currency not in prices:
        raise CommerceInputError("currency", f"{product.name} has no price in {parent.currency}")
    item = CartItem(
        CartProduct(product.id, product.name, product.kind, product.status, prices), role
    )
    tax = tax_terms(session, parent.buyer_country, parent.buyer_region)
    return product, price_cart([item], parent.currency, tax=tax, now=now)


def _check(parent: Order, step: UpsellStep, now: datetime) -> None:
    check_parent(
        parent.status, parent.parent_order_id, parent.funnel_id, step.funnel_id,
        parent.paid_at, now,
    )  # fmt: skip


def _find(session: Session, key: str) -> Order | None:
    return session.scalar(select(Order).where(Order.checkout_key == key))


def upsell_offer(
    session: Session,
    provider: Provider | None,
    secret: str,
    token: str,
    step: UpsellStep,
    now: datetime,
) -> UpsellOffer | None:
    """The offer for the order a link names; None for a bad link or an order it cannot join
    (the page then shows the product's normal checkout)."""
    parent = _parent(session, secret, token)
    if parent is None:
        return None
    try:
        _check(parent, step, now)
        product, cart = _cart(session, parent, step, now)
    except CommerceInputError:
        return None
    ready = one_click_ready(
        provider.name if provider is not None else None,
        parent.provider,
        parent.provider_customer,
        parent.payment_id,
    )
    child = _find(session, upsell_key(parent.number, step.step_id))
    return UpsellOffer(
        parent.number, product.slug, product.name, cart.total, cart.currency,
        f"{from_cents(cart.total)} {cart.currency}", ready,
        child.status if child is not None else None,
    )  # fmt: skip


def _answer(provider: Provider | None, order: Order, created: bool) -> Taken:
    """How an existing child stands, as the first click answered it."""
    if order.status in ("paid", "partially_refunded", "refunded"):
        return Taken(order, OffSession.SUCCEEDED, created)
    if order.status == "pending":
        secret = client_secret_of(provider, order)
        message = "Your bank asks you to confirm this payment."
        return Taken(order, OffSession.REQUIRES_ACTION, created, client_secret=secret,
                     message=message)  # fmt: skip
    return Taken(order, OffSession.FAILED, created, message="The payment did not go through.")


def take_upsell(
    session: Session,
    provider: Provider | None,
    secret: str,
    token: str,
    step: UpsellStep,
    now: datetime,
) -> Taken:
    """Charge the parent's saved method for the step's offer, once per parent and step."""
    found = _parent(session, secret, token)
    if found is None:
        raise NotFound("order", "this order link is not valid")
    parent = lock_order(session, found.id)  # concurrent clicks queue here
    assert parent is not None
    key = upsell_key(parent.number, step.step_id)
    existing = _find(session, key)
    if existing is not None:  # answered already (a reload, a double click): as it stands
        return _answer(provider, existing, created=False)
    _check(parent, step, now)
    ready = provider is not None and one_click_ready(
        provider.name, parent.provider, parent.provider_customer, parent.payment_id
    )
    if provider is None or not ready:
        raise CommerceInputError("order", "this order has no saved payment method")
    product, cart = _cart(session, parent, step, now)
    child = Order(
        number=secrets.token_hex(6).upper(), status="pending", currency=cart.currency,
        subtotal_cents=cart.subtotal, discount_cents=0, tax_cents=cart.tax,
        total_cents=cart.total, buyer_email=parent.buyer_email, buyer_name=parent.buyer_name,
        buyer_country=parent.buyer_country, buyer_region=parent.buyer_region,
        provider=provider.name, checkout_key=key, coupon_code="", click_id=parent.click_id,
        funnel_id=step.funnel_id, step_id=step.step_id,
        variant=(step.variant or "")[:40] or None, parent_order_id=parent.id,
        provider_customer=parent.provider_customer, created_at=now,
    )  # fmt: skip
    try:
        with session.begin_nested():  # a refusal leaves nothing; a twin finds the first
            session.add(child)
            session.flush()
            store_lines(session, child, cart)
            result = _charge(provider, parent, child, product.slug, key)
            child.payment_id = result.payment_id
            session.flush()
    except IntegrityError:
        again = _find(session, key)
        if again is None:
            raise
        return _answer(provider, again, created=False)
    if result.outcome is OffSession.SUCCEEDED:
        done = mark_paid(session, child, secret, now)
        learn_fee(session, provider, child.id, now)  # a synchronous charge: Stripe knows it now
        return Taken(child, result.outcome, True, newly_paid=done.newly_paid)
    if result.outcome is OffSession.FAILED:
        mark_failed(child, now)
        session.flush()
        return Taken(child, result.outcome, True, message=result.message)
    return Taken(child, result.outcome, True, client_secret=result.client_secret,
                 message=result.message)  # fmt: skip


def _charge(
    provider: Provider, parent: Order, child: Order, slug: str, key: str
) -> OffSessionResult:
    """The off-session charge of the method that paid the parent."""
    assert parent.payment_id is not None
    assert parent.provider_customer is not None
    try:
        method = provider.retrieve(parent.payment_id).payment_method
        if not method:
            raise CommerceInputError("order", "this order has no saved payment method")
        metadata = {"order": child.number, "parent": parent.number, "product": slug}
        result = provider.charge_saved(
            parent.provider_customer, method, child.total_cents, child.currency, metadata,
            charge_key(key),
        )  # fmt: skip
    except PaymentError as exc:  # the child goes with the savepoint: a retry charges once
        raise CommerceInputError("payment", exc.message) from None
    return result


def children_of(session: Session, order_id: int) -> list[Order]:
    """The upsells and downsells bought after an order, oldest first."""
    return list(
        session.scalars(select(Order).where(Order.parent_order_id == order_id).order_by(Order.id))
    )


def order_link(secret: str, number: str) -> str:
    """The signed part of an order's link (/buy/order/<it>, ?order=<it> on funnel steps)."""
    return order_token(secret, number)
