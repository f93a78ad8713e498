"""A cart priced from the catalog's prices, never the client's amounts: lines, a coupon's
discount, the owner's tax, all in whole cents that add up exactly (total = the sum of lines).

Rounding happens once per line and per step (half up, to the currency's smallest unit: whole
yen in yen, rules/currencies.py), and a discount spread over several lines is shared by largest
remainder, so no cent appears or vanishes between the lines and the order's figures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.rules.currencies import round_to_unit, unit_cents

__all__ = [
    "ROLES",
    "Cart",
    "CartItem",
    "CartProduct",
    "CouponTerms",
    "PricedLine",
    "TaxTerms",
    "check_coupon_code",
    "coupon_problem",
    "price_cart",
    "share",
    "taxed",
]

ROLES = ("main", "bump", "upsell", "downsell")
MAX_QUANTITY = 100


@dataclass(frozen=True)
class CartProduct:
    """A product as the catalog holds it: whether it is on sale and its price per currency."""

    id: int
    name: str
    kind: str
    status: str
    prices: Mapping[str, int] = field(default_factory=dict)  # currency → cents


@dataclass(frozen=True)
class CartItem:
    """One product the buyer asked for, in a role (main, bump, upsell, downsell)."""

    product: CartProduct | None  # None: the id named no product
    role: str = "main"
    quantity: int = 1


@dataclass(frozen=True)
class CouponTerms:
    """A coupon as stored: percent or amount off (in one currency), maybe for one product."""

    code: str
    percent_off: Decimal | None = None
    amount_off: int | None = None
    currency: str | None = None
    product_id: int | None = None
    expires_at: datetime | None = None
    max_redemptions: int | None = None
    redemptions: int = 0


@dataclass(frozen=True)
class TaxTerms:
    """The owner's rate for the buyer's place; inclusive prices carry the tax already."""

    percent: Decimal
    inclusive: bool = False


@dataclass(frozen=True)
class PricedLine:
    """One line priced: unit times quantity less its share of the discount, plus or within tax."""

    product_id: int
    name: str
    role: str
    quantity: int
    unit: int
    discount: int
    tax: int
    total: int
    shipping: int = 0  # a physical line's shipping, in its total (taxed like the line)


@dataclass(frozen=True)
class Cart:
    """The priced cart; subtotal - discount (+ tax when exclusive) = total = Σ line totals."""

    currency: str
    lines: tuple[PricedLine, ...]
    subtotal: int
    discount: int
    tax: int
    total: int
    tax_inclusive: bool
    coupon_code: str = ""
    shipping: int = 0  # Σ lines' shipping (subtotal - discount + shipping + exclusive tax)


def share(amount: int, weights: Sequence[int], unit: int = 1) -> list[int]:
    """Split whole cents over weights by largest remainder: the parts add up to `amount`, each
    a whole number of `unit`s (100 for yen) when `amount` is."""
    if unit > 1:
        return [part * unit for part in share(amount // unit, weights)]
    total = sum(weights)
    if total <= 0 or amount == 0:
        return [0 for _ in weights]
    exact = [Decimal(amount) * w / total for w in weights]
    parts = [int(x) for x in exact]  # towards zero; amounts here are never negative
    left = amount - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[:left]:
        parts[i] += 1
    return parts


def check_coupon_code(code: str, field: str = "coupon") -> str:
    """A coupon code: 1 to 40 letters, digits, - or _, compared in upper case; `field` names
    it in the refusal (`coupon` at checkout, `code` when the owner adds one)."""
    text = code.strip().upper() if isinstance(code, str) else ""
    if not text or len(text) > 40 or not text.isascii():
        raise CommerceInputError(field, "must be 1 to 40 letters, digits, - or _")
    if not all(c.isalnum() or c in "-_" for c in text):
        raise CommerceInputError(field, "must be 1 to 40 letters, digits, - or _")
    return text


def coupon_problem(coupon: CouponTerms, now: datetime, *, holding: int = 0) -> str:
    """Why a coupon cannot be used now ("" when it can); `holding` is how many open unpaid
    orders hold one of its capped uses besides the paid ones counted in `redemptions`."""
    if coupon.expires_at is not None and now >= coupon.expires_at:
        return f"{coupon.code} has expired"
    taken = coupon.redemptions + max(holding, 0)
    if coupon.max_redemptions is not None and taken >= coupon.max_redemptions:
        return f"{coupon.code} has been used up"
    return ""


def _unit(item: CartItem, currency: str) -> tuple[CartProduct, int]:
    product = item.product
    if product is None:
        raise CommerceInputError("product", "no such product")
    if product.status != "active":
        raise CommerceInputError("product", f"{product.name} is not on sale")
    if product.kind == "subscription":
        raise CommerceInputError("product", f"{product.name} is a subscription: not sold here")
    if item.role not in ROLES:
        raise CommerceInputError("role", f"must be one of {', '.join(ROLES)}")
    if isinstance(item.quantity, bool) or not 1 <= item.quantity <= MAX_QUANTITY:
        raise CommerceInputError("quantity", f"must be 1 to {MAX_QUANTITY}")
    unit = product.prices.get(currency)
    if unit is None:
        raise CommerceInputError("currency", f"{product.name} has no price in {currency}")
    return product, unit


def _discounts(
    coupon: CouponTerms | None,
    currency: str,
    items: Sequence[tuple[CartProduct, int]],
    now: datetime,
) -> list[int]:
    """Each line's share of the coupon's discount (never more than the line itself)."""
    gross = [unit for _product, unit in items]
    if coupon is None:
        return [0 for _ in items]
    problem = coupon_problem(coupon, now)
    if problem:
        raise CommerceInputError("coupon", problem)
    eligible = [
        g if coupon.product_id is None or product.id == coupon.product_id else 0
        for (product, _unit), g in zip(items, gross, strict=True)
    ]
    if sum(eligible) == 0:
        raise CommerceInputError("coupon", f"{coupon.code} does not apply to these products")
    if coupon.percent_off is not None:
        amount = round_to_unit(Decimal(sum(eligible)) * coupon.percent_off / 100, currency)
    else:
        if coupon.currency is not None and coupon.currency != currency:
            raise CommerceInputError("coupon", f"{coupon.code} is for {coupon.currency} orders")
        amount = coupon.amount_off or 0
    return share(min(amount, sum(eligible)), eligible, unit_cents(currency))


def taxed(net: int, tax: TaxTerms | None, currency: str) -> tuple[int, int]:
    """(tax, total) of a line after discount: carved out when inclusive, added when not (a
    subscription's period is taxed by the same rule, rules/plans.py)."""
    if tax is None or tax.percent == 0:
        return 0, net
    if tax.inclusive:
        carved = net - round_to_unit(Decimal(net) * 100 / (100 + tax.percent), currency)
        return carved, net
    added = round_to_unit(Decimal(net) * tax.percent / 100, currency)
    return added, net + added


def price_cart(
    items: Sequence[CartItem],
    currency: str,
    *,
    coupon: CouponTerms | None = None,
    tax: TaxTerms | None = None,
    now: datetime,
    shipping: Mapping[int, int] | None = None,
) -> Cart:
    """Price the cart in one currency from the catalog's prices; refusals name their field.
    `shipping` (product id → cents, priced by rules/shipping.py) is added to its line."""
    shipping = shipping or {}
    if not items:
        raise CommerceInputError("product", "choose a product")
    priced = [_unit(item, currency) for item in items]
    seen = [product.id for product, _unit in priced]
    if len(set(seen)) != len(seen):
        raise CommerceInputError("product", "the same product is in the cart twice")
    with_qty = [
        (product, unit * item.quantity) for (product, unit), item in zip(priced, items, strict=True)
    ]
    discounts = _discounts(coupon, currency, with_qty, now)
    lines = []
    for (product, unit), item, discount, (_p, gross) in zip(
        priced, items, discounts, with_qty, strict=True
    ):
        carried = shipping.get(product.id, 0)
        line_tax, total = taxed(gross - discount + carried, tax, currency)
        priced_line = PricedLine(
            product.id, product.name, item.role, item.quantity, unit, discount, line_tax, total,
            carried,
        )  # fmt: skip
        lines.append(priced_line)
    return Cart(
        currency=currency,
        lines=tuple(lines),
        subtotal=sum(gross for _p, gross in with_qty),
        discount=sum(discounts),
        tax=sum(line.tax for line in lines),
        total=sum(line.total for line in lines),
        tax_inclusive=bool(tax and tax.inclusive),
        coupon_code=coupon.code if coupon else "",
        shipping=sum(line.shipping for line in lines),
    )
