"""Storing a batch of plans: new products added together, existing ones changed, prices set,
and the margin guard run on every active product whose cost or price moved."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.commerce.models import Price, Product
from evergreen.commerce.rules.guard import Verdict
from evergreen.commerce.service.guard import guard_product
from evergreen.commerce.service.imports.plan import Context, Plan
from evergreen.commerce.service.pricing_rules import set_price

__all__ = ["Written", "write_plans"]

_UNPRICED = "imported without a price; add one to make it active"


@dataclass
class Written:
    """What a batch stored."""

    created: int = 0
    updated: int = 0
    paused: list[dict[str, Any]] = field(default_factory=list)


def _new(plan: Plan, ctx: Context) -> Product:
    """A physical product from a Shopify unit, active only when it has a price."""
    unit = plan.unit
    assert unit is not None
    status = ctx.status if plan.price_cents is not None else "draft"
    reason = _UNPRICED if ctx.status == "active" and status == "draft" else ""
    return Product(
        name=plan.name,
        slug=plan.slug,
        kind="physical",
        status=status,
        status_reason=reason,
        description=unit.description[:50_000],
        supplier_name=unit.vendor,
        supplier_sku=unit.sku,
        supplier_currency=plan.currency if plan.cost_cents is not None else None,
        supplier_cost_cents=plan.cost_cents,
        shipping_cents={},
        processing_days=None,
    )


def _update(row: Product, plan: Plan) -> None:
    """An existing product takes the file's name, text, SKU, cost and shipping."""
    if plan.unit is not None:
        row.name = plan.name
        row.description = plan.unit.description[:50_000]
        row.supplier_name = plan.unit.vendor or row.supplier_name
        row.supplier_sku = plan.unit.sku or row.supplier_sku
    if plan.cost_cents is not None:
        row.supplier_currency = plan.currency
        row.supplier_cost_cents = plan.cost_cents
    if plan.shipping_cents is not None:
        row.shipping_cents = plan.shipping_cents
    if plan.supplier is not None and plan.supplier.processing_days is not None:
        row.processing_days = plan.supplier.processing_days


def write_plans(session: Session, plans: list[Plan], ctx: Context) -> Written:
    """Store a batch's plans (already checked), then guard the products they touched."""
    written = Written()
    ids = [plan.product_id for plan in plans if plan.product_id is not None]
    # Locked (in id order) and read fresh: the guard judges the status and costs as they are,
    # never pausing a product the owner archived while this batch was planned.
    locked = (
        select(Product)
        .where(Product.id.in_(ids))
        .order_by(Product.id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    rows = {row.id: row for row in session.scalars(locked)}
    before = {pid: (row.supplier_cost_cents, dict(row.shipping_cents)) for pid, row in rows.items()}
    fresh = [(plan, _new(plan, ctx)) for plan in plans if plan.product_id is None]
    session.add_all(row for _plan, row in fresh)
    for plan in plans:
        if plan.product_id is not None:
            _update(rows[plan.product_id], plan)
    session.flush()
    written.created, written.updated = len(fresh), len(plans) - len(fresh)
    touched = [(plan, row) for plan, row in fresh] + [
        (plan, rows[plan.product_id]) for plan in plans if plan.product_id is not None
    ]
    currencies = {plan.currency for plan in plans}
    prices: dict[tuple[int, str], Price] = {}
    all_ids = [row.id for _plan, row in touched]
    if all_ids:
        query = select(Price).where(Price.product_id.in_(all_ids), Price.currency.in_(currencies))
        prices = {(p.product_id, p.currency): p for p in session.scalars(query)}
    for plan, row in touched:
        price = prices.get((row.id, plan.currency))
        if plan.price_cents is not None:
            price = set_price(
                session, row.id, plan.currency, plan.price_cents, plan.compare_at_cents, price
            )
        setting = ctx.floors.get(plan.currency)
        if setting is None or price is None:
            continue
        decision = guard_product(row, price.amount_cents, setting, before=before.get(row.id))
        if decision is not None and decision.verdict is Verdict.PAUSE:
            written.paused.append({"id": row.id, "name": row.name, "reason": row.status_reason})
    session.flush()
    return written
