"""Commerce's pure rules: drop-shipping price rules, the margin guard, catalog CSVs, recurring
revenue (MRR, movements, cohorts, persistence) and funnel stats."""

from evergreen.commerce.rules.catalog import (
    CatalogError,
    ShopifyProduct,
    ShopifyVariant,
    SupplierRow,
    read_shopify_products,
    read_supplier_rows,
)
from evergreen.commerce.rules.cohorts import (
    Cohort,
    PersistenceEstimate,
    cohort_retention,
    estimate_stream_persistence,
)
from evergreen.commerce.rules.funnel_stats import (
    AdSpend,
    FunnelStats,
    OfferKind,
    SaleLine,
    Traffic,
    days_to_liquidate,
    funnel_stats,
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
from evergreen.commerce.rules.revenue import (
    EventKind,
    Movement,
    MovementKind,
    MrrPeriod,
    SubscriptionEvent,
    monthly_amount,
    mrr_movements,
    mrr_report,
    mrr_reports_by,
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
# Recurring revenue, cohorts and funnel stats (revenue.py, cohorts.py, funnel_stats.py).
__all__ += [
    "AdSpend",
    "Cohort",
    "EventKind",
    "FunnelStats",
    "Movement",
    "MovementKind",
    "MrrPeriod",
    "OfferKind",
    "PersistenceEstimate",
    "SaleLine",
    "SubscriptionEvent",
    "Traffic",
    "cohort_retention",
    "days_to_liquidate",
    "estimate_stream_persistence",
    "funnel_stats",
    "monthly_amount",
    "mrr_movements",
    "mrr_report",
    "mrr_reports_by",
]
