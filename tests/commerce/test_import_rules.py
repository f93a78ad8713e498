"""What a Shopify product becomes in the catalog, without a database: one product per variant
(named and slugged by its options), a product without options keeps its title and handle,
a compare-at not above the price is none, and fractions of a cent or an over-long name withhold
the whole product by line and column."""

from __future__ import annotations

from decimal import Decimal

from evergreen.commerce.rules.catalog import CatalogError, ShopifyProduct, ShopifyVariant
from evergreen.commerce.rules.importing import ImportUnit, units_of


def _variant(line: int, sku: str, options: tuple[tuple[str, str], ...], price: str,
             compare: str | None = None, cost: str | None = "2.50") -> ShopifyVariant:  # fmt: skip
    return ShopifyVariant(line, sku, options, Decimal(price), compare and Decimal(compare),
                          cost and Decimal(cost))  # fmt: skip


def _product(title: str, *variants: ShopifyVariant) -> ShopifyProduct:
    return ShopifyProduct(2, "cosy-tee", title, "<p>Soft</p>", "Acme", "active", variants, ())


def test_one_product_per_variant_named_and_slugged_by_its_options() -> None:
    units = units_of(_product("Cosy Tee", _variant(2, "T-R-L", (("Color", "Red"), ("Size", "L")),
                                                   "19.00", "25.00"),
                              _variant(3, "T-B-L", (("Color", "Blue"), ("Size", "L")), "19.00",
                                       "19.00", None)))  # fmt: skip
    assert units == [
        ImportUnit(2, "cosy-tee", "T-R-L", "Cosy Tee / Red / L", "cosy-tee-red-l", "<p>Soft</p>",
                   "Acme", 1900, 2500, 250),
        ImportUnit(3, "cosy-tee", "T-B-L", "Cosy Tee / Blue / L", "cosy-tee-blue-l",
                   "<p>Soft</p>", "Acme", 1900, None, None),  # compare-at = price: no sale
    ]  # fmt: skip


def test_a_product_without_options_keeps_its_title_and_handle() -> None:
    default = _variant(2, "TEE", (("Title", "Default Title"),), "9.99")
    [unit] = units_of(_product("Cosy Tee", default))
    assert isinstance(unit, ImportUnit)
    assert (unit.name, unit.slug, unit.price_cents) == ("Cosy Tee", "cosy-tee", 999)
    [bare] = units_of(_product("Poster"))  # image rows only: no variant, no price
    assert isinstance(bare, ImportUnit)
    assert (bare.name, bare.sku, bare.price_cents, bare.cost_cents) == ("Poster", "", None, None)


def test_a_bad_variant_withholds_the_whole_product_by_line_and_column() -> None:
    good = _variant(2, "A", (("Size", "S"),), "9.00")
    bad = _variant(3, "B", (("Size", "M"),), "9.005", cost="1.001")
    assert units_of(_product("Tee", good, bad)) == [
        CatalogError(3, "Variant Price", "9.005 has fractions of a cent"),
        CatalogError(3, "Cost per item", "1.001 has fractions of a cent"),
    ]
    [error] = units_of(_product("T" * 201, good))
    assert isinstance(error, CatalogError)
    assert (error.line, error.field) == (2, "Title")
