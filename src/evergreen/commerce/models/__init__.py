"""The commerce area's tables, one module per slice (the catalog, then orders)."""

from evergreen.commerce.models.catalog import BundleItem, Price, Product, ProductFile, TaxRate
from evergreen.commerce.models.orders import Coupon, InboxEvent, Order, OrderLine

__all__ = [
    "BundleItem",
    "Coupon",
    "InboxEvent",
    "Order",
    "OrderLine",
    "Price",
    "Product",
    "ProductFile",
    "TaxRate",
]
