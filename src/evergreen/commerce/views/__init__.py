"""Pages of the commerce area: products (list, new, one product with its prices, files,
supplier, status and order bump), the tax rates, orders, coupons; the public checkout and the
Stripe webhook."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter

from evergreen.commerce.views import checkout, coupons, orders, product, products, taxes, webhooks

__all__ = ["routers"]


def routers() -> Sequence[APIRouter]:
    """Every page router of the area."""
    return [
        products.router, product.router, taxes.router, orders.router, coupons.router,
        checkout.router, webhooks.router,
    ]  # fmt: skip
