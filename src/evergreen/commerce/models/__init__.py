"""The commerce area's tables, one module per slice (the catalog first)."""

from evergreen.commerce.models.catalog import BundleItem, Price, Product, ProductFile, TaxRate
from evergreen.commerce.models.delivery import Download, Grant, License, LicenseActivation
from evergreen.commerce.models.fulfilment import (
    Engagement,
    EngagementTask,
    ExchangeRate,
    OrderAddress,
    ProductFulfilment,
    Supplier,
    SupplierOrder,
)
from evergreen.commerce.models.imports import CatalogImport, MarginFloor, PriceRuleRow
from evergreen.commerce.models.orders import Coupon, InboxEvent, Order, OrderLine
from evergreen.commerce.models.rollups import FunnelSalesDaily
from evergreen.commerce.models.subscriptions import (
    MrrSnapshot,
    Subscription,
    SubscriptionEvent,
)

__all__ = [
    "BundleItem",
    "CatalogImport",
    "Coupon",
    "Download",
    "Engagement",
    "EngagementTask",
    "ExchangeRate",
    "FunnelSalesDaily",
    "Grant",
    "InboxEvent",
    "License",
    "LicenseActivation",
    "MarginFloor",
    "MrrSnapshot",
    "Order",
    "OrderAddress",
    "OrderLine",
    "Price",
    "PriceRuleRow",
    "Product",
    "ProductFile",
    "ProductFulfilment",
    "Subscription",
    "SubscriptionEvent",
    "Supplier",
    "SupplierOrder",
    "TaxRate",
]
