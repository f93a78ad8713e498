"""The commerce area's tables, one module per slice (the catalog first)."""

from evergreen.commerce.models.catalog import BundleItem, Price, Product, ProductFile, TaxRate

__all__ = ["BundleItem", "Price", "Product", "ProductFile", "TaxRate"]
