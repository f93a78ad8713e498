"""The commerce area's service: the only writer of its tables (products, prices, files, taxes)."""

from __future__ import annotations

from evergreen.commerce.service.files import (
    FileTooLarge,
    file_path,
    files_of,
    remove_file,
    store_file,
    store_file_from_path,
)
from evergreen.commerce.service.products import (
    PriceDraft,
    ProductDraft,
    SupplierDraft,
    add_price,
    add_product,
    find_product,
    get_product,
    price_from_rule,
    remove_price,
    set_bundle_items,
    set_status,
    set_supplier,
    supplier_cost,
    update_product,
)
from evergreen.commerce.service.taxes import (
    TaxDraft,
    add_tax_rate,
    list_tax_rates,
    remove_tax_rate,
    update_tax_rate,
)

__all__ = [
    "FileTooLarge",
    "PriceDraft",
    "ProductDraft",
    "SupplierDraft",
    "TaxDraft",
    "add_price",
    "add_product",
    "add_tax_rate",
    "file_path",
    "files_of",
    "find_product",
    "get_product",
    "list_tax_rates",
    "price_from_rule",
    "remove_file",
    "remove_price",
    "remove_tax_rate",
    "set_bundle_items",
    "set_status",
    "set_supplier",
    "store_file",
    "store_file_from_path",
    "supplier_cost",
    "update_product",
    "update_tax_rate",
]
