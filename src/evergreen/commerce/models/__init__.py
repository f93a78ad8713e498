"""The commerce area's tables, one module per slice (the catalog first)."""

from evergreen.commerce.models.catalog import BundleItem, Price, Product, ProductFile, TaxRate
from evergreen.commerce.models.delivery import Download, Grant, License, LicenseActivation

__all__ = [
    "BundleItem",
    "Download",
    "Grant",
    "License",
    "LicenseActivation",
    "Price",
    "Product",
    "ProductFile",
    "TaxRate",
]
