"""Pages of the commerce area: products (list, new, one product with its prices, files,
supplier, status and delivery), the tax rates, and the buyers' pages (/account, /d/<link>)."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter

from evergreen.commerce.views import (
    buyers,
    downloads,
    grants,
    imports,
    pricing_rules,
    product,
    products,
    taxes,
)

__all__ = ["routers"]


def routers() -> Sequence[APIRouter]:
    """Every page router of the area."""
    return [
        products.router,
        product.router,
        grants.router,
        taxes.router,
        imports.router,
        pricing_rules.router,
        downloads.router,
        buyers.router,
    ]
