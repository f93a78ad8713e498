"""Commerce's pure rules: drop-shipping price rules, the margin guard, catalog CSVs."""

from evergreen.commerce.rules.catalog import (
    CatalogError,
    ShopifyProduct,
    ShopifyVariant,
    SupplierRow,
    read_shopify_products,
    read_supplier_rows,
)
from evergreen.commerce.rules.guard import Costs, Floor, GuardDecision, Verdict, guard, make_floor
from evergreen.commerce.rules.pricing import (
    ANY_ZONE,
    CostRange,
    PriceQuote,
    PriceRule,
    SupplierCost,
    charm,
    landed_cost,
    make_rule,
    margin_of,
    price_for,
    quote,
)

__all__ = [
    "ANY_ZONE",
    "CatalogError",
    "CostRange",
    "Costs",
    "Floor",
    "GuardDecision",
    "PriceQuote",
    "PriceRule",
    "ShopifyProduct",
    "ShopifyVariant",
    "SupplierCost",
    "SupplierRow",
    "Verdict",
    "charm",
    "guard",
    "landed_cost",
    "make_floor",
    "make_rule",
    "margin_of",
    "price_for",
    "quote",
    "read_shopify_products",
    "read_supplier_rows",
]
