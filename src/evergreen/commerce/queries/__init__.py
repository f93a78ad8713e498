"""What the commerce pages, API and commands read, and what other areas may read of it: the
catalog (product cards with landed margins) and orders (order cards, coupons, funnel sales)."""

from evergreen.commerce.queries.catalog import (
    MarginLine,
    ProductCard,
    list_products,
    price_dict,
    product_card,
    product_choices,
)
from evergreen.commerce.queries.fulfilment import OrderFulfilment, order_fulfilment
from evergreen.commerce.queries.orders import (
    ORDERS_PAGE,
    FunnelSale,
    OrderCard,
    coupon_dict,
    funnel_sales,
    list_orders,
    order_card,
    order_dict,
)

__all__ = [
    "ORDERS_PAGE",
    "FunnelSale",
    "MarginLine",
    "OrderCard",
    "OrderFulfilment",
    "ProductCard",
    "coupon_dict",
    "funnel_sales",
    "list_orders",
    "list_products",
    "order_card",
    "order_dict",
    "order_fulfilment",
    "price_dict",
    "product_card",
    "product_choices",
]
