"""What each entry of an import would do to the catalog, decided before anything is written:
create or update which product, with which cost, shipping and price. The preview shows these
plans; the run stores them. A plan that cannot be made is the entry's CatalogError."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.models import Product
from evergreen.commerce.rules.catalog import CatalogError, SupplierRow
from evergreen.commerce.rules.importing import ImportUnit
from evergreen.commerce.rules.pricing import ANY_ZONE, PriceRule, SupplierCost, quote
from evergreen.commerce.rules.products import check_shipping, to_cents
from evergreen.commerce.service.guard import FloorSetting

__all__ = ["Context", "Known", "Plan", "plan_shopify", "plan_supplier"]

_NEW_STATUSES = ("draft", "active")


@dataclass(frozen=True)
class Context:
    """An import's fixed choices: currency, rule (and its zone), new products' status, floors."""

    currency: str
    rule: PriceRule | None
    zone: str
    status: str
    reprice: bool
    floors: dict[str, FloorSetting]


@dataclass
class Known:
    """The catalog as the import matches against it: ids by SKU, slug and name."""

    by_sku: dict[str, int] = field(default_factory=dict)
    by_slug: dict[str, tuple[int, str, str]] = field(default_factory=dict)  # id, kind, sku
    names: dict[str, int] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session) -> Known:
        """Every product's id, slug, name, kind and SKU (a few columns, not whole rows)."""
        known = cls()
        query = select(Product.id, Product.slug, Product.name, Product.kind, Product.supplier_sku)
        for pid, slug, name, kind, sku in session.execute(query):
            if sku and kind == "physical":
                known.by_sku.setdefault(sku, pid)
            known.by_slug[slug] = (pid, kind, sku)
            known.names[name] = pid
        return known

    def match(self, unit: ImportUnit) -> int | None:
        """The physical product a unit updates: same SKU, else same slug with no other SKU."""
        if unit.sku and unit.sku in self.by_sku:
            return self.by_sku[unit.sku]
        found = self.by_slug.get(unit.slug)
        if found is None or found[0] < 0 or found[1] != "physical":
            return None  # none, or one this import is about to create
        if found[2] and found[2] != unit.sku:
            return None
        return found[0]

    def claim(self, unit: ImportUnit, product_id: int | None) -> tuple[str, str] | CatalogError:
        """A free name and slug for the unit's product, kept so later units do not take them."""
        name = unit.name
        if self.names.get(name, product_id) != product_id:
            name = f"{unit.name[:180]} ({unit.sku or unit.handle})"[:200]
            if self.names.get(name, product_id) != product_id:
                return CatalogError(unit.line, "Title", f"a product named {unit.name!r} exists")
        slug = unit.slug
        if product_id is None:
            number = 1
            while slug in self.by_slug:
                number += 1
                slug = f"{unit.slug[:74]}-{number}"
        marker = product_id if product_id is not None else -1
        self.names[name] = marker
        if product_id is None:
            self.by_slug[slug] = (marker, "physical", unit.sku)
            if unit.sku:
                self.by_sku[unit.sku] = marker
        return name, slug


@dataclass(frozen=True)
class Plan:
    """One product to create (product_id None) or update, with what it gets."""

    line: int
    sku: str
    product_id: int | None
    name: str
    slug: str
    unit: ImportUnit | None
    supplier: SupplierRow | None
    currency: str
    cost_cents: int | None
    shipping_cents: dict[str, int] | None
    price_cents: int | None
    compare_at_cents: int | None
    landed_cents: int | None


def _priced(
    rule: PriceRule, zone: str, currency: str, cost: int, shipping: dict[str, int]
) -> tuple[int, int | None, int]:
    """(price, compare-at, landed) in cents by the rule; shipping unknown counts as 0."""
    if currency != rule.currency:
        raise CommerceInputError(
            "currency", f"the cost is in {currency}, the price rule prices in {rule.currency}"
        )
    ships = {z: Decimal(c) / 100 for z, c in shipping.items()} or {ANY_ZONE: Decimal(0)}
    quoted = quote(rule, SupplierCost(currency, Decimal(cost) / 100, ships), zone)
    compare = None if quoted.compare_at is None else int(quoted.compare_at * 100)
    return int(quoted.price * 100), compare, int(quoted.landed * 100)


def plan_shopify(units: list[ImportUnit], known: Known, ctx: Context) -> list[Plan] | CatalogError:
    """Plans for a Shopify product's units, or the first reason the product is withheld."""
    plans = []
    for unit in units:
        product_id = known.match(unit)
        claimed = known.claim(unit, product_id)
        if isinstance(claimed, CatalogError):
            return claimed
        price, compare, landed = unit.price_cents, unit.compare_at_cents, None
        if ctx.rule is not None and unit.cost_cents is not None:
            try:
                price, compare, landed = _priced(
                    ctx.rule, ctx.zone, ctx.currency, unit.cost_cents, {}
                )
            except CommerceInputError as error:
                return CatalogError(unit.line, "Cost per item", error.message)
        elif unit.cost_cents is not None:
            landed = unit.cost_cents
        name, slug = claimed
        plans.append(
            Plan(
                unit.line,
                unit.sku,
                product_id,
                name,
                slug,
                unit,
                None,
                ctx.currency,
                unit.cost_cents,
                None,
                price,
                compare,
                landed,
            )
        )
    return plans


def plan_supplier(row: SupplierRow, known: Known, ctx: Context) -> Plan | CatalogError:
    """The plan for a supplier row: new cost and shipping of the product with its SKU."""
    product_id = known.by_sku.get(row.sku)
    if product_id is None or product_id < 0:
        return CatalogError(
            row.line, "SKU", f"{row.sku!r} is no physical product's SKU; import the product first"
        )
    try:
        cost = to_cents("cost", row.cost)
        shipping = check_shipping(row.currency, dict(row.shipping))
    except CommerceInputError as error:
        return CatalogError(row.line, error.field, error.message)
    price = compare = None
    zone = ctx.floors[row.currency].zone if row.currency in ctx.floors else ctx.zone
    ship = shipping.get(zone, shipping.get(ANY_ZONE, 0 if not shipping else None))
    landed = None if ship is None else cost + ship
    if ctx.reprice and ctx.rule is not None:
        try:
            price, compare, landed = _priced(ctx.rule, ctx.zone, row.currency, cost, shipping)
        except CommerceInputError as error:
            return CatalogError(row.line, error.field, error.message)
    return Plan(row.line, row.sku, product_id, "", "", None, row, row.currency, cost, shipping,
                price, compare, landed)  # fmt: skip


def check_status(status: str) -> str:
    """New products start as drafts or active (active only once priced)."""
    if status not in _NEW_STATUSES:
        raise CommerceInputError("status", f"{status!r} is not draft or active")
    return status
