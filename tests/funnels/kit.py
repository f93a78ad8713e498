"""Shared set-up of the funnels tests: a live funnel sales → order → thankyou with an A/B split,
and the products around its order step's bump."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from evergreen.commerce import service as commerce
from evergreen.db import Database
from evergreen.funnels import service
from evergreen.funnels.models import FunnelStep


@dataclass(frozen=True)
class Built:
    """The ids of what `build` made."""

    funnel_id: int
    sales_id: int
    order_id: int
    thanks_id: int
    product_id: int


def build(db: Database, *, status: str = "live", weight_b: int = 1) -> Built:
    """A funnel at /p/launch: a sales page with variants A and B, an order form, a thank-you."""
    with db.session() as session:
        product = commerce.add_product(session, commerce.ProductDraft("Course", "digital"))
        funnel = service.add_funnel(session, service.FunnelDraft("Launch", "launch", status))
        sales = service.add_step(session, funnel.id, service.StepDraft("sales", "Grow", "grow"))
        service.add_variant(
            session,
            funnel.id,
            sales.id,
            service.VariantDraft("B", weight_b, "Grow faster", "**B** copy", "Yes please"),
        )
        order = service.add_step(
            session, funnel.id, service.StepDraft("order", "Order", "order", product_id=product.id)
        )
        thanks = service.add_step(session, funnel.id, service.StepDraft("thankyou", "Thanks"))
        return Built(funnel.id, sales.id, order.id, thanks.id, product.id)


@dataclass(frozen=True)
class BumpShop:
    """The funnel's product (Course, 40.00 USD) and the products around it, by name."""

    built: Built
    ids: dict[str, int]


def build_with_bumps(db: Database, *, step_bump: bool = True) -> BumpShop:
    """The kit's funnel with its course on sale at 40.00 USD; the course's own bump is the guide
    (5.00), its order step's the workbook (9.00); a club (a subscription), a draft kit and a
    euro-only pack besides."""
    built = build(db)
    ids = {"Course": built.product_id}
    with db.session() as session:
        commerce.add_price(session, built.product_id, commerce.PriceDraft("USD", "40.00"))
        commerce.set_status(session, built.product_id, "active")
        for name, kind, currency, amount, status in (
            ("Workbook", "digital", "USD", "9.00", "active"),
            ("Guide", "digital", "USD", "5.00", "active"),
            ("Club", "subscription", "", "", "draft"),
            ("Draft kit", "digital", "USD", "3.00", "draft"),
            ("Euro pack", "digital", "EUR", "4.00", "active"),
        ):
            row = commerce.add_product(session, commerce.ProductDraft(name, kind))
            if currency:
                commerce.add_price(session, row.id, commerce.PriceDraft(currency, amount))
            commerce.set_status(session, row.id, status)
            ids[name] = row.id
        commerce.set_bump(session, built.product_id, ids["Guide"], "Add the guide")
        if step_bump:
            save_bump(session, built, ids["Workbook"])
    return BumpShop(built, ids)


def save_bump(session: Session, built: Built, bump_id: int | None) -> FunnelStep:
    """Save the order step with this bump (None: none)."""
    draft = service.StepDraft(
        "order", "Order", "order", product_id=built.product_id, bump_product_id=bump_id
    )
    return service.update_step(session, built.funnel_id, built.order_id, draft)
