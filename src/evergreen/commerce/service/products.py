"""Products and their prices, supplier and bundle items: the only writer of those tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.models import BundleItem, Price, Product
from evergreen.commerce.rules.currencies import check_whole
from evergreen.commerce.rules.pricing import PriceQuote, PriceRule, SupplierCost, quote
from evergreen.commerce.rules.products import (
    check_cents,
    check_currency_code,
    check_interval,
    check_kind,
    check_shipping,
    check_status,
    check_text,
    check_trial_days,
    from_cents,
    slug_of,
    to_cents,
)
from evergreen.commerce.service import rates
from evergreen.db import write_unless_taken
from evergreen.digits import row_id
from evergreen.errors import Conflict, NotFound

__all__ = [
    "PriceDraft",
    "ProductDraft",
    "SupplierDraft",
    "add_price",
    "add_product",
    "find_product",
    "get_product",
    "price_from_rule",
    "remove_price",
    "set_bundle_items",
    "set_status",
    "set_supplier",
    "supplier_cost",
    "update_product",
]


@dataclass(frozen=True)
class ProductDraft:
    """A product as entered: its name, kind and Markdown description."""

    name: str
    kind: str
    description: str = ""


@dataclass(frozen=True)
class PriceDraft:
    """A price as entered: amounts as text or Decimal, a subscription's interval and trial."""

    currency: str
    amount: Decimal | str
    compare_at: Decimal | str | None = None
    interval: str | None = None
    trial_days: int = 0


@dataclass(frozen=True)
class SupplierDraft:
    """A physical product's supplier: name, SKU, cost, shipping per zone, processing days."""

    name: str
    sku: str
    currency: str
    cost: Decimal | str
    shipping: Mapping[str, Decimal | str] = field(default_factory=dict)
    processing_days: int | None = None


def get_product(session: Session, product_id: int, *, lock: bool = False) -> Product:
    """The product with this id; `lock`: locked against other writers of the product until
    this unit of work ends (not against rows that merely refer to it) and read fresh."""
    if lock:
        found = session.get(
            Product, product_id, with_for_update={"key_share": True}, populate_existing=True
        )
    else:
        found = session.get(Product, product_id)
    if found is None:
        raise NotFound("product_id", f"no product {product_id}")
    return found


def find_product(session: Session, name: str) -> Product:
    """The product by its exact name (or its id written as digits), for the command line."""
    text = name.strip()
    found = session.scalar(select(Product).where(Product.name == text))
    if found is None and (number := row_id(text)) is not None:
        found = session.get(Product, number)
    if found is None:
        raise NotFound("name", f"no product named {text[:100]!r}")
    return found


def _free_slug(session: Session, name: str, product_id: int | None) -> str:
    """The name's slug, numbered when another product has it."""
    base = slug_of(name)
    slug, number = base, 1
    while True:
        clash = session.scalar(
            select(Product.id).where(Product.slug == slug, Product.id != (product_id or 0))
        )
        if clash is None:
            return slug
        number += 1
        slug = f"{base[:74]}-{number}"


def _store(session: Session, row: Product, changes: Mapping[str, str] | None = None) -> Product:
    """Store a new product, or an existing one's `changes`; its name (and the slug made from
    it) must be free. The changes are made in the write: pending, they would be flushed by
    any query before it, outside the savepoint."""
    values = dict(changes or {})
    name, slug = values.get("name", row.name), values.get("slug", row.slug)

    def write() -> None:
        for key, value in values.items():
            setattr(row, key, value)
        session.add(row)

    def taken() -> bool:  # the slug only when another product took it in the meantime
        clash = select(Product.id).where(
            or_(Product.name == name, Product.slug == slug), Product.id != (row.id or 0)
        )
        return session.scalar(clash) is not None

    if not write_unless_taken(session, write, taken):
        raise Conflict("name", f"a product named {name!r} already exists")
    return row


def add_product(session: Session, draft: ProductDraft) -> Product:
    """A new product, a draft until the owner makes it active; the name is unique."""
    name = check_text("name", draft.name, 200, required=True)
    row = Product(
        name=name,
        slug=_free_slug(session, name, None),
        kind=check_kind(draft.kind),
        status="draft",
        status_reason="",
        description=check_text("description", draft.description, 50_000),
        shipping_cents={},
    )
    return _store(session, row)


def update_product(
    session: Session, product_id: int, *, name: str | None = None, description: str | None = None
) -> Product:
    """A new name or description (the kind is fixed once prices and files depend on it)."""
    row = get_product(session, product_id)
    changes: dict[str, str] = {}
    if name is not None:
        changes["name"] = check_text("name", name, 200, required=True)
        changes["slug"] = _free_slug(session, changes["name"], row.id)
    if description is not None:
        changes["description"] = check_text("description", description, 50_000)
    return _store(session, row, changes)


def set_status(session: Session, product_id: int, status: str, reason: str = "") -> Product:
    """Draft, active, paused or archived, with the reason (the margin guard's words). The
    product is locked before its prices are counted, as `remove_price` locks it: an active
    product never loses its last price to a removal at the same time."""
    row = get_product(session, product_id, lock=True)
    chosen = check_status(status)
    if chosen == "active" and not session.scalar(
        select(Price.id).where(Price.product_id == row.id).limit(1)
    ):
        raise CommerceInputError("status", "add a price before making the product active")
    row.status = chosen
    row.status_reason = check_text("reason", reason, 500)
    session.flush()
    return row


def add_price(session: Session, product_id: int, draft: PriceDraft) -> Price:
    """The product's price in a currency; it replaces an earlier one in that currency (refused
    when a supplier of it prices in a currency with no rate to this one)."""
    product = get_product(session, product_id)
    currency = check_currency_code("currency", draft.currency)
    amount = check_whole("amount", to_cents("amount", draft.amount), currency)
    compare_at = None
    if draft.compare_at not in (None, ""):
        assert draft.compare_at is not None
        compare_at = check_cents(
            "compare_at",
            check_whole("compare_at", to_cents("compare_at", draft.compare_at), currency),
            above=amount,
        )
    interval = check_interval(product.kind, draft.interval)
    trial = check_trial_days(product.kind, draft.trial_days)
    rates.check_rates(session, "currency", rates.supplied(session, product), [currency])
    row = session.scalar(
        select(Price).where(Price.product_id == product.id, Price.currency == currency)
    )
    if row is None:
        row = Price(product_id=product.id, currency=currency)

    def write() -> None:
        row.amount_cents, row.compare_at_cents = amount, compare_at
        row.interval, row.trial_days = interval, trial
        session.add(row)

    def taken() -> bool:  # another request priced this currency in the meantime
        clash = select(Price.id).where(
            Price.product_id == product.id, Price.currency == currency, Price.id != (row.id or 0)
        )
        return session.scalar(clash) is not None

    if not write_unless_taken(session, write, taken):
        raise Conflict("currency", f"a {currency} price was just added; try again")
    return row


def remove_price(session: Session, product_id: int, price_id: int) -> None:
    """Remove one price; an active product keeps at least one (the product locked first, as
    `set_status` locks it)."""
    row = session.get(Price, price_id)
    if row is None or row.product_id != product_id:
        raise NotFound("price_id", f"no price {price_id} on product {product_id}")
    product = get_product(session, product_id, lock=True)
    others = session.scalar(
        select(Price.id).where(Price.product_id == product_id, Price.id != price_id).limit(1)
    )
    if product.status == "active" and others is None:
        raise CommerceInputError("price_id", "an active product keeps a price; pause it first")
    session.delete(row)
    session.flush()


def set_supplier(session: Session, product_id: int, draft: SupplierDraft) -> Product:
    """A physical product's supplier, cost and shipping per zone (in the supplier's currency)."""
    row = get_product(session, product_id)
    if row.kind != "physical":
        raise CommerceInputError(
            "kind", f"only a physical product has a supplier; this is {row.kind}"
        )
    currency = check_currency_code("supplier_currency", draft.currency)
    rates.check_rates(
        session, "supplier_currency", [(row.name, currency)], rates.prices_of(session, row.id)
    )
    days = draft.processing_days
    if days is not None and (isinstance(days, bool) or not 0 <= days <= 365):
        raise CommerceInputError("processing_days", "must be a whole number from 0 to 365")
    row.supplier_name = check_text("supplier_name", draft.name, 200, required=True)
    row.supplier_sku = check_text("supplier_sku", draft.sku, 100)
    row.supplier_currency = currency
    row.supplier_cost_cents = to_cents("supplier_cost", draft.cost)
    row.shipping_cents = check_shipping(currency, draft.shipping)
    row.processing_days = days
    session.flush()
    return row


def supplier_cost(row: Product) -> SupplierCost | None:
    """The product's supplier cost as the price rules read it, when it has one."""
    if row.supplier_currency is None or row.supplier_cost_cents is None:
        return None
    shipping = {zone: from_cents(cents) for zone, cents in row.shipping_cents.items()}
    return SupplierCost(row.supplier_currency, from_cents(row.supplier_cost_cents), shipping)


def price_from_rule(
    session: Session, product_id: int, rule: PriceRule, zone: str
) -> tuple[Price, PriceQuote]:
    """Set the price from a price rule on the supplier's landed cost to a zone."""
    row = get_product(session, product_id)
    cost = supplier_cost(row)
    if cost is None:
        raise CommerceInputError("supplier_cost", "set the supplier's cost and shipping first")
    priced = quote(rule, cost, zone)
    draft = PriceDraft(rule.currency, priced.price, priced.compare_at)
    return add_price(session, product_id, draft), priced


def set_bundle_items(
    session: Session,
    bundle_id: int,
    product_ids: Sequence[int],
    quantities: Mapping[int, int] | None = None,
) -> Product:
    """The products a bundle holds (not itself, not another bundle, at least two), and how many
    of each one bundle holds (1 unless given, at most 1,000). The bundle is locked first, so
    two edits at once replace its items in turn (never a mix of both lists)."""
    bundle = get_product(session, bundle_id, lock=True)
    if bundle.kind != "bundle":
        raise CommerceInputError("kind", f"only a bundle lists products; this is {bundle.kind}")
    chosen = list(dict.fromkeys(product_ids))
    if len(chosen) < 2:
        raise CommerceInputError("product_ids", "a bundle holds at least two products")
    for product_id in chosen:
        item = session.get(Product, product_id)
        if item is None:
            raise CommerceInputError("product_ids", f"no product {product_id}")
        if item.kind == "bundle":
            raise CommerceInputError("product_ids", f"{item.name!r} is a bundle itself")
        if item.kind == "physical":
            rates.check_rates(
                session, "product_ids", [(item.name, item.supplier_currency)],
                rates.prices_of(session, bundle.id),
            )  # fmt: skip
    counts = {pid: _count((quantities or {}).get(pid, 1)) for pid in chosen}
    session.execute(delete(BundleItem).where(BundleItem.bundle_id == bundle.id))
    session.add_all(
        BundleItem(bundle_id=bundle.id, product_id=pid, quantity=counts[pid]) for pid in chosen
    )
    session.flush()
    return bundle


def _count(value: int) -> int:
    """How many of an item one bundle holds: 1 to 1,000."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1000:
        raise CommerceInputError("quantities", "each item's quantity is a whole number, 1 to 1000")
    return value
