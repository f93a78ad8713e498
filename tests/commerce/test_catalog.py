"""Catalog CSVs: a Shopify export grouped by handle, a supplier's list, every bad row by line."""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import Iterator
from decimal import Decimal

import pytest

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.rules import (
    CatalogError,
    ShopifyProduct,
    SupplierRow,
    read_shopify_products,
    read_supplier_rows,
)

D = Decimal

# The classic Shopify export's header (trimmed of SEO and Google Shopping columns).
HEADER = (
    "Handle,Title,Body (HTML),Vendor,Product Category,Type,Tags,Published,"
    "Option1 Name,Option1 Value,Option2 Name,Option2 Value,Option3 Name,Option3 Value,"
    "Variant SKU,Variant Grams,Variant Inventory Tracker,Variant Inventory Qty,"
    "Variant Inventory Policy,Variant Fulfillment Service,Variant Price,"
    "Variant Compare At Price,Variant Requires Shipping,Variant Taxable,Variant Barcode,"
    "Image Src,Image Position,Image Alt Text,Gift Card,Variant Image,Variant Weight Unit,"
    "Cost per item,Status"
)
SHOPIFY = f"""{HEADER}
led-lamp,LED Desk Lamp,"<p>Warm light,
folds flat</p>",Lumo,,Lighting,"desk, lamp",TRUE,Color,White,Size,Small,,,LAMP-W-S,400,shopify,12,deny,manual,24.99,34.99,TRUE,TRUE,,https://cdn.example/lamp-1.jpg,1,,FALSE,,g,8.10,active
led-lamp,,,,,,,,,Black,,Small,,,LAMP-B-S,400,shopify,3,deny,manual,24.99,,TRUE,TRUE,,https://cdn.example/lamp-2.jpg,2,,FALSE,,g,8.10,
led-lamp,,,,,,,,,White,,Large,,,LAMP-W-L,600,shopify,0,deny,manual,"29,50",,TRUE,TRUE,,,,,FALSE,,g,9.40,
led-lamp,,,,,,,,,,,,,,,,,,,,,,,,,https://cdn.example/lamp-3.jpg,3,,,,,,
yoga-mat,Yoga Mat,Grippy.,Flexa,,,,TRUE,Title,Default Title,,,,,MAT-1,900,,,deny,manual,\
39.00,,TRUE,TRUE,,,,,FALSE,,kg,,draft
"""


def _split(
    items: Iterator[ShopifyProduct | CatalogError],
) -> tuple[list[ShopifyProduct], list[CatalogError]]:
    """Products and errors of one read, each in file order."""
    products: list[ShopifyProduct] = []
    errors: list[CatalogError] = []
    for item in items:
        if isinstance(item, ShopifyProduct):
            products.append(item)
        else:
            errors.append(item)
    return products, errors


def test_handle_groups_variants_and_images_into_one_product() -> None:
    products, errors = _split(read_shopify_products(io.StringIO(SHOPIFY)))
    assert errors == []
    lamp, mat = products
    assert (lamp.handle, lamp.title, lamp.vendor, lamp.status) == (
        "led-lamp",
        "LED Desk Lamp",
        "Lumo",
        "active",
    )
    assert lamp.body_html == "<p>Warm light,\nfolds flat</p>"
    assert [v.sku for v in lamp.variants] == ["LAMP-W-S", "LAMP-B-S", "LAMP-W-L"]
    assert lamp.variants[1].options == (("Color", "Black"), ("Size", "Small"))
    assert lamp.variants[0].price == D("24.99")
    assert lamp.variants[0].compare_at == D("34.99")
    assert lamp.variants[2].price == D("29.50")
    assert lamp.variants[2].cost == D("9.40")
    assert [v.line for v in lamp.variants] == [2, 4, 5]  # the body's newline spans line 3
    assert lamp.images == (
        "https://cdn.example/lamp-1.jpg",
        "https://cdn.example/lamp-2.jpg",
        "https://cdn.example/lamp-3.jpg",
    )
    assert (mat.line, mat.status, mat.variants[0].cost) == (7, "draft", None)
    assert mat.variants[0].options == (("Title", "Default Title"),)


def test_bom_and_semicolons_with_decimal_commas_are_read() -> None:
    text = "\ufeffHandle;Title;Variant SKU;Variant Price;Cost per item\nmug;Mug;MUG-1;12,50;3,20\n"
    products, errors = _split(read_shopify_products(io.StringIO(text)))
    assert errors == []
    assert products[0].variants[0].price == D("12.50")
    assert products[0].variants[0].cost == D("3.20")


def test_newer_export_headers_are_understood() -> None:
    text = "URL handle,Title,Description,SKU,Price,Compare-at price,Cost per item\n"
    text += "cap,Cap,<b>Hat</b>,CAP-1,15.00,20.00,4.00\n"
    products, errors = _split(read_shopify_products(io.StringIO(text)))
    assert errors == []
    assert products[0].body_html == "<b>Hat</b>"
    assert products[0].variants[0].compare_at == D("20.00")


def test_every_bad_row_is_reported_by_line_and_its_product_withheld() -> None:
    text = (
        "Handle,Title,Option1 Name,Option1 Value,Variant SKU,Variant Price,Cost per item,Status\n"
        "a,A,Size,S,A-S,ten,2.00,active\n"  # 2: bad price
        "a,,,M,A-M,12.00,-1,\n"  # 3: negative cost
        "b,,Size,S,B-S,12.00,,\n"  # 4: no title on the first row
        "c,C,Size,S,C-S,9.00,1.00,sold\n"  # 5: unknown status
        ",X,,,,,,\n"  # 6: no handle
        'd,D,Size,S,D-S,9.00,"1,000",active\n'  # 7: ambiguous amount
        "d,,,S,D-S2,9.00,,\n"  # 8: repeats options
        "e,E,,,E-1,5.00,,active\n"  # 9: fine
        "a,A again,,,A-X,1.00,,active\n"  # 10: handle split apart
    )
    products, errors = _split(read_shopify_products(io.StringIO(text)))
    assert [p.handle for p in products] == ["e"]
    # A product's errors come when its last row is read: sorted, they follow the file.
    errors.sort(key=lambda error: error.line)
    assert [(e.line, e.field) for e in errors] == [
        (2, "Variant Price"),
        (3, "Cost per item"),
        (4, "Title"),
        (5, "Status"),
        (6, "Handle"),
        (7, "Cost per item"),
        (8, "Option1 Value"),
        (10, "Handle"),
    ]
    assert "ambiguous" in errors[5].message
    assert "earlier" in errors[7].message


def test_a_file_that_is_not_a_product_export_is_refused_at_once() -> None:
    with pytest.raises(CommerceInputError) as caught:
        list(read_shopify_products(io.StringIO("email,name\na@example.com,A\n")))
    assert caught.value.field == "file"
    assert "Handle" in caught.value.message
    with pytest.raises(CommerceInputError):
        list(read_shopify_products(io.StringIO("")))


def _lines(count: int) -> Iterator[str]:
    """A large export generated line by line, never held whole."""
    yield "Handle,Title,Option1 Name,Option1 Value,Variant SKU,Variant Price,Cost per item\n"
    for n in range(count):
        yield f"p{n},Product {n},Size,S,P{n}-S,19.99,5.00\n"
        yield f"p{n},,,M,P{n}-M,21.99,5.50\n"


def test_reading_streams_in_bounded_memory() -> None:
    tracemalloc.start()
    try:
        first = next(read_shopify_products(_lines(10)))
        assert isinstance(first, ShopifyProduct)
        assert len(first.variants) == 2
        count = 0
        baseline = tracemalloc.get_traced_memory()[0]
        for item in read_shopify_products(_lines(5_000)):
            assert isinstance(item, ShopifyProduct)
            count += 1
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 5_000
    # The handles seen are kept (to catch a split product); nothing else grows with the file.
    assert peak - baseline < 2_000_000


SUPPLIER = """SKU,Cost,Shipping US,Shipping (EU),shipping_row,Processing Days
LAMP-W-S,6.20,2.30,4.10,7.00,2-4
LAMP-B-S,6.20,2.30,,7.00,3
MAT-1,11.00,5.00,6.00,,
"""


def test_supplier_rows_read_cost_shipping_per_zone_and_processing_days() -> None:
    rows = list(read_supplier_rows(io.StringIO(SUPPLIER), currency="usd"))
    assert rows == [
        SupplierRow(
            2, "LAMP-W-S", "USD", D("6.20"), {"US": D("2.30"), "EU": D("4.10"), "ROW": D("7.00")}, 4
        ),
        SupplierRow(3, "LAMP-B-S", "USD", D("6.20"), {"US": D("2.30"), "ROW": D("7.00")}, 3),
        SupplierRow(4, "MAT-1", "USD", D("11.00"), {"US": D("5.00"), "EU": D("6.00")}, None),
    ]


def test_one_shipping_column_ships_anywhere_and_semicolons_and_bom_work() -> None:
    text = "\ufeffsupplier_sku;unit cost;shipping;currency\nX-1;4,50;1,20;eur\n"
    (row,) = read_supplier_rows(io.StringIO(text), currency="USD")
    assert row == SupplierRow(2, "X-1", "EUR", D("4.50"), {"*": D("1.20")}, None)


def test_every_bad_supplier_row_is_reported() -> None:
    text = (
        "SKU,Cost,Shipping US,Processing Days,Currency\n"
        "A,abc,1.00,2,\n"  # 2
        ",5.00,1.00,2,\n"  # 3
        "B,5.00,x,soon,\n"  # 4: two errors on one row
        "C,5.00,1.00,1,US\n"  # 5
        "D,,,,\n"  # 6
        "E,5.00,1.00,1,\n"  # 7 fine
        "E,5.00,1.00,1,\n"  # 8 duplicate
    )
    results = list(read_supplier_rows(io.StringIO(text), currency="USD"))
    errors = [r for r in results if isinstance(r, CatalogError)]
    assert [(e.line, e.field) for e in errors] == [
        (2, "cost"),
        (3, "SKU"),
        (4, "shipping US"),
        (4, "processing days"),
        (5, "currency"),
        (6, "cost"),
        (8, "SKU"),
    ]
    assert [r.sku for r in results if isinstance(r, SupplierRow)] == ["E"]


def test_a_supplier_file_without_sku_or_cost_is_refused() -> None:
    with pytest.raises(CommerceInputError) as caught:
        list(read_supplier_rows(io.StringIO("name,price\n"), currency="USD"))
    assert caught.value.field == "file"


def test_shipping_time_is_not_a_zone_and_processing_ranges_read_their_upper_end() -> None:
    text = "SKU,Cost,Shipping,Shipping Time,Processing Time\nZ-1,2.00,1.50,7-15 days,1-3 days\n"
    (row,) = read_supplier_rows(io.StringIO(text), currency="USD")
    assert row == SupplierRow(2, "Z-1", "USD", D("2.00"), {"*": D("1.50")}, 3)
    with pytest.raises(CommerceInputError) as caught:
        list(read_supplier_rows(io.StringIO(text), currency="dollars"))
    assert caught.value.field == "currency"
