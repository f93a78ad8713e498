"""Pages of the commerce area: products (list, new, one product with its prices, files,
supplier and status) and the tax rates."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter

from evergreen.commerce.views import imports, pricing_rules, product, products, taxes

__all__ = ["routers"]


def routers() -> Sequence[APIRouter]:
    """Every page router of the area."""
    return [products.router, product.router, taxes.router, imports.router, pricing_rules.router]
