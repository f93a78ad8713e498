"""The owner's named price rules: stored, previewed on products, applied to every physical
product (then the margin guard runs). The only writer of commerce_price_rules."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.models import Price, PriceRuleRow, Product
from evergreen.commerce.rules.guard import Verdict
from evergreen.commerce.rules.pricing import ANY_ZONE, PriceQuote, PriceRule, SupplierCost, quote
from evergreen.commerce.rules.products import check_shipping, check_text, from_cents, rule_of
from evergreen.commerce.service.guard import floors, guard_product
from evergreen.db import write_unless_taken
from evergreen.errors import Conflict, NotFound

__all__ = [
    "ApplyResult",
    "RuleDraft",
    "RuleQuote",
    "apply_rule",
    "find_rule",
    "get_rule",
    "list_rules",
    "preview_rule",
    "price_rule_of",
    "quote_product",
    "remove_rule",
    "save_rule",
    "set_price",
]

Range = tuple[str, str | None, str | None, str | None]  # start, end, multiplier, margin


@dataclass(frozen=True)
class RuleDraft:
    """A rule as typed: ranges of landed cost (start, end, multiplier, margin) and the rest."""

    name: str
    currency: str
    ranges: Sequence[Range]
    ending: str | None = None
    compare_at_factor: str | None = None
    zone: str = ANY_ZONE
    is_default: bool = False


@dataclass(frozen=True)
class RuleQuote:
    """What a rule would do to one product: landed cost, price now, price after, margin."""

    product_id: int
    name: str
    current_cents: int | None
    quote: PriceQuote


@dataclass
class ApplyResult:
    """What applying a rule did: products priced, skipped (no cost in its currency), paused."""

    priced: int = 0
    skipped: int = 0
    paused: list[dict[str, object]] = field(default_factory=list)


def _blank(text: str | None) -> str | None:
    return text.strip() if text and text.strip() else None


def save_rule(session: Session, draft: RuleDraft, rule_id: int | None = None) -> PriceRuleRow:
    """A new or changed named rule, checked by rules.pricing before it is stored."""
    name = check_text("name", draft.name, 100, required=True)
    ranges: list[Range] = []
    for start, end, multiplier, margin in draft.ranges:
        if any(_blank(part) for part in (start, end, multiplier, margin)):
            ranges.append((_blank(start) or "0", _blank(end), _blank(multiplier), _blank(margin)))
    checked = rule_of(draft.currency, ranges, _blank(draft.ending), _blank(draft.compare_at_factor))
    zone = next(iter(check_shipping(checked.currency, {draft.zone or ANY_ZONE: "0"})))
    row = PriceRuleRow() if rule_id is None else get_rule(session, rule_id)

    def write() -> None:
        row.name, row.currency, row.zone = name, checked.currency, zone
        row.ranges = [{"start": s, "end": e, "multiplier": m, "margin": g} for s, e, m, g in ranges]
        row.ending, row.compare_at_factor = _blank(draft.ending), _blank(draft.compare_at_factor)
        if draft.is_default:
            session.execute(update(PriceRuleRow).values(is_default=False))
        row.is_default = draft.is_default
        session.add(row)

    def taken() -> bool:
        clash = select(PriceRuleRow.id).where(
            PriceRuleRow.name == name, PriceRuleRow.id != (row.id or 0)
        )
        return session.scalar(clash) is not None

    if not write_unless_taken(session, write, taken):
        raise Conflict("name", f"a price rule named {name!r} already exists")
    return row


def list_rules(session: Session) -> list[PriceRuleRow]:
    """Every rule by name."""
    return list(session.scalars(select(PriceRuleRow).order_by(PriceRuleRow.name)))


def get_rule(session: Session, rule_id: int) -> PriceRuleRow:
    """The rule with this id."""
    row = session.get(PriceRuleRow, rule_id)
    if row is None:
        raise NotFound("rule_id", f"no price rule {rule_id}")
    return row


def find_rule(session: Session, name: str) -> PriceRuleRow:
    """A rule by its name, for the command line."""
    row = session.scalar(select(PriceRuleRow).where(PriceRuleRow.name == name.strip()))
    if row is None:
        raise CommerceInputError("rule", f"no price rule named {name.strip()[:100]!r}")
    return row


def remove_rule(session: Session, rule_id: int) -> None:
    """Forget a rule (prices it set stay)."""
    session.delete(get_rule(session, rule_id))
    session.flush()


def price_rule_of(row: PriceRuleRow) -> PriceRule:
    """The stored rule as rules.pricing reads it."""
    ranges = [(r["start"] or "0", r["end"], r["multiplier"], r["margin"]) for r in row.ranges]
    return rule_of(row.currency, ranges, row.ending, row.compare_at_factor)


def quote_product(rule: PriceRule, row: Product, zone: str) -> PriceQuote | None:
    """The rule's price for a product with a supplier cost in the rule's currency, else None."""
    if row.supplier_cost_cents is None or row.supplier_currency != rule.currency:
        return None
    shipping = {z: from_cents(c) for z, c in row.shipping_cents.items()} or {ANY_ZONE: Decimal(0)}
    cost = SupplierCost(rule.currency, from_cents(row.supplier_cost_cents), shipping)
    try:
        return quote(rule, cost, zone)
    except CommerceInputError:
        return None  # no shipping to the zone: nothing to price on


def set_price(
    session: Session,
    product_id: int,
    currency: str,
    cents: int,
    compare_at: int | None,
    existing: Price | None,
) -> Price:
    """Store a price already checked (whole cents, compare-at above it) in one currency."""
    row = existing or Price(product_id=product_id, currency=currency, interval=None, trial_days=0)
    row.amount_cents = cents
    row.compare_at_cents = compare_at if compare_at is not None and compare_at > cents else None
    if existing is None:
        session.add(row)
    return row


def _prices(session: Session, ids: Iterable[int], currency: str) -> dict[int, Price]:
    """Each product's price in a currency, by product id."""
    chosen = list(ids)
    found: dict[int, Price] = {}
    for start in range(0, len(chosen), 500):
        query = select(Price).where(
            Price.product_id.in_(chosen[start : start + 500]), Price.currency == currency
        )
        found.update((price.product_id, price) for price in session.scalars(query))
    return found


def _physical(session: Session, currency: str, *, lock: bool = False) -> list[Product]:
    """The physical products costed in a currency, by name; `lock`: locked (in id order, so
    two bulk writers never wait on each other in a circle) and read fresh, for a writer that
    prices and guards them from what it read."""
    query = select(Product).where(Product.kind == "physical", Product.supplier_currency == currency)
    if not lock:
        return list(session.scalars(query.order_by(Product.name)))
    locked = query.order_by(Product.id).with_for_update(key_share=True)
    rows = session.scalars(locked.execution_options(populate_existing=True))
    return sorted(rows, key=lambda row: row.name)


def preview_rule(session: Session, rule_id: int, limit: int = 10) -> list[RuleQuote]:
    """The rule's effect on the first `limit` physical products it can price."""
    row = get_rule(session, rule_id)
    rule = price_rule_of(row)
    quotes = []
    products = _physical(session, rule.currency)
    current = _prices(session, [p.id for p in products[: limit * 4]], rule.currency)
    for product in products:
        priced = quote_product(rule, product, row.zone)
        if priced is not None:
            now = current.get(product.id)
            cents = now.amount_cents if now else None
            quotes.append(RuleQuote(product.id, product.name, cents, priced))
        if len(quotes) >= limit:
            break
    return quotes


def apply_rule(session: Session, rule_id: int) -> ApplyResult:
    """Price every physical product by the rule, then pause those under the margin floor."""
    row = get_rule(session, rule_id)
    rule = price_rule_of(row)
    setting = floors(session).get(rule.currency)
    result = ApplyResult()
    products = _physical(session, rule.currency, lock=True)
    current = _prices(session, [p.id for p in products], rule.currency)
    for product in products:
        priced = quote_product(rule, product, row.zone)
        if priced is None:
            result.skipped += 1
            continue
        cents = int(priced.price * 100)
        compare = None if priced.compare_at is None else int(priced.compare_at * 100)
        set_price(session, product.id, rule.currency, cents, compare, current.get(product.id))
        result.priced += 1
        if setting is not None:
            decision = guard_product(product, cents, setting)
            if decision is not None and decision.verdict is Verdict.PAUSE:
                result.paused.append(
                    {"id": product.id, "name": product.name, "reason": product.status_reason}
                )
    session.flush()
    return result
