"""The commerce area's tables, one module per slice (the catalog first)."""

from evergreen.commerce.models.catalog import BundleItem, Price, Product, ProductFile, TaxRate
from evergreen.commerce.models.delivery import Download, Grant, License, LicenseActivation
from evergreen.commerce.models.imports import CatalogImport, MarginFloor, PriceRuleRow

__all__ = [
    "BundleItem",
    "CatalogImport",
    "Download",
    "Grant",
    "License",
    "LicenseActivation",
    "MarginFloor",
    "Price",
    "PriceRuleRow",
    "Product",
    "ProductFile",
    "TaxRate",
]
