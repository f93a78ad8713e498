"""Pages of the commerce area: products (list, new, one product with its prices, files,
supplier, status, order bump and delivery), the tax rates, catalog imports and price rules,
orders and coupons; the public checkout, the Stripe webhook and the buyers' pages (/account,
/d/<link>)."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter

from evergreen.commerce.views import (
    buyer_subscriptions,
    buyers,
    checkout,
    coupons,
    downloads,
    embed,
    grants,
    imports,
    intake,
    invoices,
    mrr,
    order_fulfilment,
    orders,
    pricing_rules,
    product,
    products,
    rates,
    services,
    subscribe,
    subscriptions,
    suppliers,
    taxes,
    webhooks,
)

__all__ = ["routers"]


def routers() -> Sequence[APIRouter]:
    """Every page router of the area."""
    return [
        products.router, product.router, grants.router, taxes.router, imports.router,
        pricing_rules.router, orders.router, coupons.router, checkout.router, webhooks.router,
        downloads.router, buyers.router, subscriptions.router, mrr.router, subscribe.router,
        buyer_subscriptions.router, suppliers.router, services.router, intake.router,
        invoices.router, embed.router, rates.router, order_fulfilment.router,
    ]  # fmt: skip
