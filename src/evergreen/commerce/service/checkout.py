"""Checkout: price a cart from the catalog, open one pending order per form submission and one
provider payment per order (keys derived from the form's nonce, so a double submit or a retried
request finds the first order and the first payment)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.models import Coupon, Order, OrderLine, Price, Product, TaxRate
from evergreen.commerce.payments import Payment, PaymentError, Provider, StripeProvider
from evergreen.commerce.rules.bumps import bump_problem, chosen_bump_id
from evergreen.commerce.rules.bumps import check_bump as check_bump_rule
from evergreen.commerce.rules.cart import (
    Cart,
    CartItem,
    CartProduct,
    CouponTerms,
    TaxTerms,
    coupon_problem,
    price_cart,
)
from evergreen.commerce.rules.checkout import check_buyer_email, check_nonce
from evergreen.commerce.rules.products import (
    check_country,
    check_currency_code,
    check_region,
    check_text,
)
from evergreen.commerce.rules.shipping import Address
from evergreen.commerce.rules.upsells import customer_key
from evergreen.commerce.service import shipping
from evergreen.commerce.service.coupons import coupon_terms
from evergreen.config import Settings
from evergreen.db import lock_for_writing
from evergreen.errors import NotFound
from evergreen.funnels import queries as funnels

__all__ = [
    "COUPON_HOLD",
    "CheckoutInput",
    "Offer",
    "Started",
    "check_bump",
    "claim_coupon",
    "client_secret_of",
    "offer",
    "open_payment_of",
    "provider_for",
    "quote",
    "set_bump",
    "start_checkout",
    "store_lines",
    "tax_terms",
]

# How long an unpaid order holds a use of its capped coupon: an abandoned checkout gives it back
# after a day, as a Stripe Checkout session expires after 24 h.
COUPON_HOLD = timedelta(hours=24)


@dataclass(frozen=True)
class CheckoutInput:
    """What the buyer sent: never an amount, only what to buy and who they are."""

    slug: str
    currency: str
    email: str
    nonce: str
    name: str = ""
    country: str = ""
    region: str = ""
    bump: bool = False
    coupon: str = ""
    click_id: str = ""
    funnel_id: int | None = None
    step_id: int | None = None
    variant: str | None = None
    address: Address | None = None  # physical goods: where they go (rules/shipping.py)


@dataclass(frozen=True)
class Offer:
    """A product's checkout page: the product, the bump it offers (a funnel order step's, else
    its own; None when not on sale), the bump's headline and their prices."""

    product: Product
    bump: Product | None
    prices: dict[str, int]
    bump_prices: dict[str, int]
    bump_headline: str = ""


@dataclass(frozen=True)
class Started:
    """An order opened (or found again) and what the buyer's browser needs to pay it."""

    order: Order
    client_secret: str | None
    created: bool


def provider_for(settings: Settings) -> Provider | None:
    """Stripe when EVERGREEN_STRIPE_SECRET_KEY is set; None: bank transfer, marked paid by hand."""
    if settings.stripe_secret_key is None or not settings.stripe_secret_key.get_secret_value():
        return None
    return StripeProvider.from_settings(settings)


def _prices(session: Session, product_id: int) -> dict[str, int]:
    rows = session.scalars(select(Price).where(Price.product_id == product_id))
    return {row.currency: row.amount_cents for row in rows if row.interval is None}


def offer(
    session: Session, slug: str, *, funnel_id: int | None = None, step_id: int | None = None
) -> Offer:
    """The product on sale at /buy/<slug> with its bump: the one the funnel's order step chose
    (when the buyer came from one), else the product's own; a draft or paused product is not
    found, and a bump that is no longer fit to offer is left out."""
    product = session.scalar(select(Product).where(Product.slug == slug[:80]))
    if product is None or product.status != "active" or product.kind == "subscription":
        raise NotFound("product", "this product is not on sale")
    step_bump = None
    if funnel_id is not None and step_id is not None:
        step_bump = funnels.order_step_bump(session, funnel_id, step_id, product.id)
    chosen = chosen_bump_id(step_bump, product.bump_product_id)
    bump = session.get(Product, chosen) if chosen is not None else None
    bump_prices = _prices(session, bump.id) if bump is not None else {}
    if bump is not None and bump_problem(product.id, _cart_product(bump, bump_prices)) is not None:
        bump, bump_prices = None, {}
    headline = product.bump_headline if chosen == product.bump_product_id else ""
    return Offer(product, bump, _prices(session, product.id), bump_prices, headline)


def check_bump(session: Session, product_id: int, bump_id: int) -> None:
    """Refuse (by bump_product_id) a bump that cannot be offered beside this product: missing,
    the product itself, a subscription, not on sale, or without a price in a currency the
    product is sold in. A product's own bump and a funnel order step's are held to it alike."""
    bump = session.get(Product, bump_id)
    if bump is None:
        raise CommerceInputError("bump_product_id", f"no product {bump_id}")
    sold_in = _prices(session, product_id)
    candidate = _cart_product(bump, _prices(session, bump.id))
    check_bump_rule(product_id, candidate, sold_in, field="bump_product_id")


def set_bump(session: Session, product_id: int, bump_id: int | None, headline: str = "") -> Product:
    """Offer another product as the order bump on this product's checkout page (None: none)."""
    row = session.get(Product, product_id)
    if row is None:
        raise NotFound("product", "no such product")
    if bump_id is not None:
        check_bump(session, row.id, bump_id)
    row.bump_product_id = bump_id
    row.bump_headline = check_text("bump_headline", headline, 200) if bump_id else ""
    session.flush()
    return row


def _cart_product(row: Product, prices: dict[str, int]) -> CartProduct:
    return CartProduct(row.id, row.name, row.kind, row.status, prices)


def tax_terms(session: Session, country: str, region: str) -> TaxTerms | None:
    """The owner's tax rate for a buyer's country and region (the country's own, else none)."""
    if not country:
        return None
    rows = {
        row.region: row
        for row in session.scalars(select(TaxRate).where(TaxRate.country == country))
    }
    row = rows.get(region) or rows.get("")
    return TaxTerms(row.percent, row.inclusive) if row is not None else None


def quote(session: Session, data: CheckoutInput, now: datetime) -> tuple[Offer, Cart]:
    """The cart the server prices for this input (the page shows it; checkout charges it)."""
    found = offer(session, data.slug, funnel_id=data.funnel_id, step_id=data.step_id)
    currency = check_currency_code("currency", data.currency)
    if currency not in found.prices:
        raise CommerceInputError("currency", f"{found.product.name} has no price in {currency}")
    items = [CartItem(_cart_product(found.product, found.prices), "main")]
    if data.bump:
        if found.bump is None:
            raise CommerceInputError("bump", "this offer is not available")
        bump = _cart_product(found.bump, found.bump_prices)
        if bump_problem(found.product.id, bump, [currency]) is not None:
            raise CommerceInputError("bump", f"{bump.name} cannot be added in {currency}")
        items.append(CartItem(bump, "bump"))
    country = check_country(data.country) if data.country.strip() else ""
    region = check_region(data.region) if country else ""
    coupon = coupon_terms(session, data.coupon)
    tax = tax_terms(session, country, region)
    bought = [(found.product, 1)] + ([(found.bump, 1)] if data.bump and found.bump else [])
    carried = shipping.shipping_for(session, bought, data.address, currency)
    cart = price_cart(items, currency, coupon=coupon, tax=tax, now=now, shipping=carried)
    return found, cart


def _find(session: Session, key: str) -> Order | None:
    return session.scalar(select(Order).where(Order.checkout_key == key))


def start_checkout(
    session: Session, provider: Provider | None, data: CheckoutInput, now: datetime
) -> Started:
    """Open the order and its payment; the same nonce again returns the same order."""
    key = check_nonce(data.nonce)
    existing = _find(session, key)
    if existing is not None:
        return Started(existing, client_secret_of(provider, existing), created=False)
    email = check_buyer_email(data.email)
    name = check_text("name", data.name, 200)
    found, cart = quote(session, data, now)
    claim_coupon(session, cart.coupon_code, email, now)
    order = Order(
        number=secrets.token_hex(6).upper(), status="pending", currency=cart.currency,
        subtotal_cents=cart.subtotal, discount_cents=cart.discount, tax_cents=cart.tax,
        total_cents=cart.total, buyer_email=email, buyer_name=name,
        buyer_country=check_country(data.country) if data.country.strip() else "",
        buyer_region=check_region(data.region) if data.country.strip() else "",
        provider=provider.name if provider is not None and cart.total else "manual",
        checkout_key=key,
        coupon_code=cart.coupon_code, click_id=check_text("click_id", data.click_id, 100),
        funnel_id=data.funnel_id, step_id=data.step_id,
        variant=check_text("variant", data.variant, 40) if data.variant else None,
        created_at=now,
    )  # fmt: skip
    save = (
        data.funnel_id is not None
        and data.step_id is not None
        and funnels.offers_follow(session, data.funnel_id, data.step_id)
    )
    try:
        with session.begin_nested():  # the same nonce twice at once: one order; a refusal: none
            secret = _open(session, provider, order, cart, found.product.slug, key, save=save)
            bought = [p for p in (found.product, found.bump if data.bump else None) if p]
            if data.address is not None and shipping.is_shipped(session, bought):
                shipping.store_address(session, order, data.address, cart.shipping)
    except IntegrityError:
        again = _find(session, key)
        if again is None:
            raise
        return Started(again, client_secret_of(provider, again), created=False)
    return Started(order, secret, created=True)


def claim_coupon(session: Session, code: str, email: str, now: datetime) -> None:
    """Refuse a capped coupon whose uses are taken by paid orders and by other buyers' pending
    orders opened within COUPON_HOLD, under the coupon's row lock (SQLite: the write lock), so
    two checkouts at once never both take its last use. A buyer's own pending order does not
    count against them: coming back to the form after abandoning it is not refused."""
    if not code:
        return
    capped = session.scalar(select(Coupon.max_redemptions).where(Coupon.code == code))
    if capped is None:  # no cap: nothing to count, no lock to queue on
        return
    lock_for_writing(session)
    row = session.scalar(
        select(Coupon)
        .where(Coupon.code == code)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if row is None:
        raise CommerceInputError("coupon", f"{code} is not a valid coupon")
    holding = session.scalar(
        select(func.count())
        .select_from(Order)
        .where(
            Order.coupon_code == code,
            Order.status == "pending",
            Order.created_at > now - COUPON_HOLD,
            func.lower(Order.buyer_email) != email.lower(),
        )
    )
    terms = CouponTerms(
        row.code, expires_at=row.expires_at, max_redemptions=row.max_redemptions,
        redemptions=row.redemptions,
    )  # fmt: skip
    problem = coupon_problem(terms, now, holding=holding or 0)
    if problem:
        raise CommerceInputError("coupon", problem)


def _open(
    session: Session,
    provider: Provider | None,
    order: Order,
    cart: Cart,
    slug: str,
    key: str,
    *,
    save: bool = False,
) -> str | None:
    """Store the order and its lines, then open its payment; the client secret for Stripe.js.
    `save`: an upsell follows in the funnel, so the paying method is kept on a customer."""
    session.add(order)
    session.flush()
    store_lines(session, order, cart)
    secret = None
    if cart.total == 0:
        order.payment_id = f"free_{order.number}"  # nothing to pay: the caller marks it paid
    elif provider is None or order.provider == "manual":
        order.payment_id = f"man_{order.number}"
    else:
        metadata = {"order": order.number, "product": slug}
        try:
            if save:
                order.provider_customer = provider.create_customer(
                    order.buyer_email, order.buyer_name, customer_key(key)
                )
            payment = provider.create_payment(
                cart.total, cart.currency, metadata, f"evergreen-checkout-{key}",
                customer=order.provider_customer, save_method=save,
            )  # fmt: skip
        except PaymentError as exc:  # the order goes with the savepoint: nothing half-stored
            raise CommerceInputError("payment", exc.message) from None
        order.payment_id, secret = payment.id, payment.client_secret
    session.flush()
    return secret


def store_lines(session: Session, order: Order, cart: Cart) -> None:
    """The priced cart's lines on a stored order (they add up to its total)."""
    for line in cart.lines:
        session.add(
            OrderLine(
                order_id=order.id, product_id=line.product_id, product_name=line.name,
                role=line.role, quantity=line.quantity, unit_cents=line.unit,
                discount_cents=line.discount, tax_cents=line.tax, total_cents=line.total,
            )
        )  # fmt: skip
    session.flush()


def open_payment_of(provider: Provider | None, order: Order) -> Payment | None:
    """A pending order's payment as the provider holds it now (None: nothing to pay here): its
    client secret shows the payment form again, its status says whether the bank asks first."""
    if provider is None or order.provider != provider.name or not order.payment_id:
        return None
    if order.status != "pending":
        return None
    try:
        return provider.retrieve(order.payment_id)
    except PaymentError:
        return None


def client_secret_of(provider: Provider | None, order: Order) -> str | None:
    """The client secret of an order's open payment, to show the payment form again."""
    payment = open_payment_of(provider, order)
    return payment.client_secret if payment is not None else None
