"""What one Shopify product becomes in the catalog: one physical product per variant.

The catalog keeps one supplier SKU and one price per currency on a product, so a Shopify
product with several variants becomes one product per variant ("Tee / Red / L", slug
"tee-red-l"); a product with one variant (Shopify's "Default Title") keeps its title and its
handle as slug. Every amount must be whole cents; a product with any bad variant is withheld
whole, each problem named by line and column. A compare-at price not above the price is
Shopify's "no sale" and is read as none.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from evergreen.commerce.rules.catalog import CatalogError, ShopifyProduct, ShopifyVariant
from evergreen.commerce.rules.products import slug_of
from evergreen.money import CENT

__all__ = ["ImportUnit", "units_of"]

_NAME_MAX = 200
_SKU_MAX = 100
_DEFAULT_TITLE = "default title"


@dataclass(frozen=True)
class ImportUnit:
    """One catalog product to create or update from a Shopify variant (amounts in cents)."""

    line: int
    handle: str
    sku: str
    name: str
    slug: str
    description: str
    vendor: str
    price_cents: int | None
    compare_at_cents: int | None
    cost_cents: int | None


def _cents(line: int, column: str, value: Decimal | None, errors: list[CatalogError]) -> int | None:
    """Whole cents of an amount, or an error when it has fractions of a cent."""
    if value is None:
        return None
    if value != value.quantize(CENT):
        errors.append(CatalogError(line, column, f"{value} has fractions of a cent"))
        return None
    return int(value * 100)


def _is_default(variant: ShopifyVariant) -> bool:
    """Shopify's single variant of a product without options."""
    return not variant.options or (
        len(variant.options) == 1 and variant.options[0][1].strip().lower() == _DEFAULT_TITLE
    )


def _unit(
    product: ShopifyProduct, variant: ShopifyVariant | None, alone: bool, errors: list[CatalogError]
) -> ImportUnit:
    """The catalog product of one variant (or of a product with no variant rows)."""
    line = variant.line if variant is not None else product.line
    values = [] if variant is None or alone else [value for _name, value in variant.options]
    name = " / ".join([product.title, *values])
    if len(name) > _NAME_MAX:
        errors.append(CatalogError(line, "Title", f"makes a name over {_NAME_MAX} characters"))
    sku = variant.sku if variant is not None else ""
    if len(sku) > _SKU_MAX:
        errors.append(CatalogError(line, "Variant SKU", f"is longer than {_SKU_MAX} characters"))
    price = _cents(line, "Variant Price", variant.price if variant else None, errors)
    compare = _cents(
        line, "Variant Compare At Price", variant.compare_at if variant else None, errors
    )
    if compare is not None and (price is None or compare <= price):
        compare = None  # Shopify's "no sale": a compare-at not above the price
    return ImportUnit(
        line=line,
        handle=product.handle,
        sku=sku,
        name=name[:_NAME_MAX],
        slug=slug_of("-".join([product.handle, *values])),
        description=product.body_html,
        vendor=product.vendor[:_NAME_MAX],
        price_cents=price,
        compare_at_cents=compare,
        cost_cents=_cents(line, "Cost per item", variant.cost if variant else None, errors),
    )


def units_of(product: ShopifyProduct) -> list[ImportUnit] | list[CatalogError]:
    """The catalog products of a Shopify product, or every reason it is withheld."""
    errors: list[CatalogError] = []
    variants = product.variants
    if not variants:
        units = [_unit(product, None, True, errors)]
    elif len(variants) == 1 and _is_default(variants[0]):
        units = [_unit(product, variants[0], True, errors)]
    else:
        units = [_unit(product, variant, False, errors) for variant in variants]
    return errors or units
