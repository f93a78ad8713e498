"""Shared set-up of the funnels tests: a live funnel sales → order → thankyou with an A/B split."""

from __future__ import annotations

from dataclasses import dataclass

from evergreen.commerce import service as commerce
from evergreen.db import Database
from evergreen.funnels import service


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
