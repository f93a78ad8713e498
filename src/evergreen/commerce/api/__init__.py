"""The commerce JSON API under /api/v1/commerce: products with their prices, supplier and
files, the owner's tax rates, orders (refund, mark paid) and coupons. Writes are the owner's;
staff read."""

from fastapi import APIRouter

from evergreen.commerce.api import coupons, orders, products, taxes

__all__ = ["routers"]


def routers() -> list[APIRouter]:
    """The area's API routers."""
    return [products.router, taxes.router, orders.router, coupons.router]
