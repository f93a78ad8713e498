"""The commerce JSON API under /api/v1/commerce: products with their prices, supplier and
files, the owner's tax rates, catalog imports and price rules, orders (refund, mark paid) and
coupons (writes are the owner's; staff read); and the public license API under
/api/v1/licenses, keyed by the license key."""

from fastapi import APIRouter

from evergreen.commerce.api import (
    coupons,
    imports,
    licenses,
    orders,
    pricing_rules,
    products,
    rates,
    services,
    subscriptions,
    suppliers,
    taxes,
)

__all__ = ["routers"]


def routers() -> list[APIRouter]:
    """The area's API routers."""
    return [
        products.router, taxes.router, imports.router, pricing_rules.router, orders.router,
        coupons.router, licenses.router, subscriptions.router, suppliers.router,
        services.router, rates.router,
    ]  # fmt: skip
