"""Catalog CSVs read as a stream: a Shopify product export and a supplier's price list.

Both are read one row at a time from any iterator of text lines (an open file), so a catalog
of a hundred thousand rows costs the memory of one product. Every bad row becomes a
CatalogError naming its line and column; reading never stops at the first. A byte-order mark
and the `;` delimiter European spreadsheets write are accepted.

Shopify's export puts one product on several rows that share a `Handle`: the first carries
the title, body, vendor and option names; later rows carry another variant (`Option1 Value`,
`Variant SKU`, `Variant Price`, …) or only another image (`Image Src`). Both the classic
headers (`Variant Price`) and the newer ones (`Price`, `URL handle`) are understood.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.rules.pricing import ANY_ZONE
from evergreen.csvfile import uploaded_rows
from evergreen.digits import is_digits
from evergreen.errors import InputError
from evergreen.money import check_currency, read_amount

__all__ = [
    "CatalogError",
    "ShopifyProduct",
    "ShopifyVariant",
    "SupplierRow",
    "read_shopify_products",
    "read_supplier_rows",
]

_MAX_COLUMNS = 300
_MAX_OPTIONS = 3
_STATUSES = frozenset({"active", "draft", "archived"})
# "Shipping time" or "Shipping method" describe shipping; they are not a zone's price.
_NOT_ZONES = frozenset({"cost", "time", "days", "method", "company", "carrier", "from"})
_ZONE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,31}$")


@dataclass(frozen=True)
class CatalogError:
    """One refused row: its line in the file, the column and what to fix."""

    line: int
    field: str
    message: str


@dataclass(frozen=True)
class ShopifyVariant:
    """One variant row: its options, SKU and the prices and cost Shopify exported."""

    line: int
    sku: str
    options: tuple[tuple[str, str], ...]
    price: Decimal | None
    compare_at: Decimal | None
    cost: Decimal | None


@dataclass(frozen=True)
class ShopifyProduct:
    """One product (every row of its handle) with its variants and images in file order."""

    line: int
    handle: str
    title: str
    body_html: str
    vendor: str
    status: str
    variants: tuple[ShopifyVariant, ...]
    images: tuple[str, ...]


@dataclass(frozen=True)
class SupplierRow:
    """One SKU from a supplier's list: cost, shipping per zone ("*": any zone), processing."""

    line: int
    sku: str
    currency: str
    cost: Decimal
    shipping: dict[str, Decimal]
    processing_days: int | None


def _key(name: str) -> str:
    """A header as compared: lower case, single spaces, so 'Variant_SKU ' is 'variant sku'."""
    return " ".join(name.replace("_", " ").strip().lower().split())


def _rows(lines: Iterable[str]) -> Iterator[tuple[int, list[str]]]:
    """The file's rows, a file csv cannot read refused on the `file` field."""
    return uploaded_rows(lines, lambda message: CommerceInputError("file", message))


def _header(rows: Iterator[tuple[int, list[str]]]) -> dict[str, int]:
    """Column positions by their compared name, from the file's first row."""
    first = next(rows, None)
    if first is None:
        raise CommerceInputError("file", "is empty; export it again with its header row")
    names = first[1]
    if len(names) > _MAX_COLUMNS:
        raise CommerceInputError("file", f"has more than {_MAX_COLUMNS} columns")
    positions: dict[str, int] = {}
    for index, name in enumerate(names):
        positions.setdefault(_key(name), index)
    return positions


def _pick(positions: dict[str, int], *names: str) -> int | None:
    """The position of the first of a column's names the file uses."""
    return next((positions[name] for name in names if name in positions), None)


def _cell(cells: list[str], position: int | None) -> str:
    """A cell's text, empty when the column is absent or the row is short."""
    return cells[position] if position is not None and position < len(cells) else ""


def _amount(line: int, column: str, text: str, errors: list[CatalogError]) -> Decimal | None:
    """An optional amount; a bad one is recorded against its line and read as nothing."""
    if not text:
        return None
    try:
        return read_amount(column, text)
    except InputError as error:
        errors.append(CatalogError(line, column, error.message))
        return None


_SHOPIFY = {
    "handle": ("handle", "url handle"),
    "title": ("title",),
    "body": ("body (html)", "description"),
    "vendor": ("vendor",),
    "status": ("status",),
    "sku": ("variant sku", "sku"),
    "price": ("variant price", "price"),
    "compare_at": ("variant compare at price", "compare-at price", "compare at price"),
    "cost": ("cost per item",),
    "image": ("image src", "product image url"),
}


@dataclass
class _Draft:
    """A product being gathered from the rows of its handle."""

    line: int
    handle: str
    title: str
    body_html: str
    vendor: str
    status: str
    option_names: tuple[str, ...]
    variants: list[ShopifyVariant] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    errors: list[CatalogError] = field(default_factory=list)

    def finish(self) -> Iterator[ShopifyProduct | CatalogError]:
        """The product, or its errors: a product with a bad row is never half-imported."""
        if self.errors:
            yield from self.errors
            return
        yield ShopifyProduct(
            self.line,
            self.handle,
            self.title,
            self.body_html,
            self.vendor,
            self.status,
            tuple(self.variants),
            tuple(self.images),
        )


def _option_columns(positions: dict[str, int]) -> list[tuple[int | None, int | None]]:
    """(name, value) positions of Option1 … Option3."""
    return [
        (positions.get(f"option{n} name"), positions.get(f"option{n} value"))
        for n in range(1, _MAX_OPTIONS + 1)
    ]


def read_shopify_products(lines: Iterable[str]) -> Iterator[ShopifyProduct | CatalogError]:
    """Products of a Shopify export, one per handle, as soon as its last row is read."""
    rows = iter(_rows(lines))
    positions = _header(rows)
    at = {role: _pick(positions, *names) for role, names in _SHOPIFY.items()}
    if at["handle"] is None or at["title"] is None:
        raise CommerceInputError(
            "file", "is not a Shopify product export: it needs Handle and Title columns"
        )
    options = _option_columns(positions)
    seen: set[str] = set()
    draft: _Draft | None = None
    for line, cells in rows:
        handle = _cell(cells, at["handle"]).lower()
        if not handle:
            yield CatalogError(line, "Handle", "is empty; every row needs its product's handle")
            continue
        if draft is None or handle != draft.handle:
            if draft is not None:
                yield from draft.finish()
            if handle in seen:
                yield CatalogError(
                    line, "Handle", f"{handle!r} appeared earlier; keep a product's rows together"
                )
                draft = None
                continue
            seen.add(handle)
            draft = _first_row(line, handle, cells, at, options)
        _add_row(draft, line, cells, at, options)
    if draft is not None:
        yield from draft.finish()


def _first_row(
    line: int,
    handle: str,
    cells: list[str],
    at: dict[str, int | None],
    options: list[tuple[int | None, int | None]],
) -> _Draft:
    """A new product from the first row of its handle, which carries the product's fields."""
    status = (_cell(cells, at["status"]) or "active").lower()
    names = tuple(_cell(cells, name) for name, _value in options)
    draft = _Draft(
        line,
        handle,
        _cell(cells, at["title"]),
        _cell(cells, at["body"]),
        _cell(cells, at["vendor"]),
        status,
        names,
    )
    if not draft.title:
        draft.errors.append(CatalogError(line, "Title", "is empty on the product's first row"))
    if status not in _STATUSES:
        draft.errors.append(
            CatalogError(line, "Status", f"{status!r} is not active, draft or archived")
        )
    return draft


def _add_row(
    draft: _Draft,
    line: int,
    cells: list[str],
    at: dict[str, int | None],
    options: list[tuple[int | None, int | None]],
) -> None:
    """A row's variant (if it has variant fields) and image (if it has one)."""
    image = _cell(cells, at["image"])
    if image and image not in draft.images:
        draft.images.append(image)
    values = [_cell(cells, value) for _name, value in options]
    sku = _cell(cells, at["sku"])
    price_text = _cell(cells, at["price"])
    if not (any(values) or sku or price_text):
        return  # an image-only row
    chosen = tuple(
        (name or f"Option{n}", value)
        for n, (name, value) in enumerate(zip(draft.option_names, values, strict=True), start=1)
        if value
    )
    if any(variant.options == chosen for variant in draft.variants):
        draft.errors.append(
            CatalogError(
                line, "Option1 Value", f"repeats the options of an earlier variant: {chosen}"
            )
        )
    variant = ShopifyVariant(
        line,
        sku,
        chosen,
        _amount(line, "Variant Price", price_text, draft.errors),
        _amount(line, "Variant Compare At Price", _cell(cells, at["compare_at"]), draft.errors),
        _amount(line, "Cost per item", _cell(cells, at["cost"]), draft.errors),
    )
    draft.variants.append(variant)


_SUPPLIER = {
    "sku": ("sku", "supplier sku", "variant sku"),
    "cost": ("cost", "supplier cost", "unit cost", "cost per item"),
    "currency": ("currency",),
    "processing": ("processing days", "processing time"),
    "shipping": ("shipping", "shipping cost"),
}


def _zone_columns(positions: dict[str, int]) -> dict[str, int]:
    """Shipping per zone from columns named 'shipping US', 'shipping_eu' or 'Shipping (ROW)'."""
    zones: dict[str, int] = {}
    for name, position in positions.items():
        match = re.match(r"^shipping ?\(?([a-z0-9-]+)\)?$", name)
        if match and match.group(1) not in _NOT_ZONES:
            zones[match.group(1).upper()] = position
    return zones


def read_supplier_rows(
    lines: Iterable[str], *, currency: str
) -> Iterator[SupplierRow | CatalogError]:
    """A supplier's SKUs with cost, shipping and processing days, or an error per bad row."""
    try:
        default_currency = check_currency("currency", currency)
    except InputError as error:
        raise CommerceInputError(error.field, error.message) from None
    rows = iter(_rows(lines))
    positions = _header(rows)
    at = {role: _pick(positions, *names) for role, names in _SUPPLIER.items()}
    if at["sku"] is None or at["cost"] is None:
        raise CommerceInputError("file", "needs a SKU and a cost column")
    zones = _zone_columns(positions)
    if at["shipping"] is not None:
        zones[ANY_ZONE] = at["shipping"]
    for zone in zones:
        if zone != ANY_ZONE and not _ZONE.match(zone):
            raise CommerceInputError("file", f"{zone!r} is not a zone name like US or EU")
    seen: set[str] = set()
    for line, cells in rows:
        yield from _supplier_row(line, cells, at, zones, default_currency, seen)


def _supplier_row(
    line: int,
    cells: list[str],
    at: dict[str, int | None],
    zones: dict[str, int],
    default_currency: str,
    seen: set[str],
) -> Iterator[SupplierRow | CatalogError]:
    """One supplier row checked whole: every problem on it is reported, then it is refused."""
    errors: list[CatalogError] = []
    sku = _cell(cells, at["sku"])
    if not sku:
        errors.append(CatalogError(line, "SKU", "is empty"))
    elif sku in seen:
        errors.append(CatalogError(line, "SKU", f"{sku!r} is listed twice"))
    seen.add(sku)
    code = default_currency
    if text := _cell(cells, at["currency"]):
        try:
            code = check_currency("currency", text)
        except InputError as error:
            errors.append(CatalogError(line, "currency", error.message))
    cost = _amount(line, "cost", _cell(cells, at["cost"]), errors)
    if cost is None and not any(error.field == "cost" for error in errors):
        errors.append(CatalogError(line, "cost", "is empty"))
    shipping = {}
    for zone, position in zones.items():
        amount = _amount(line, f"shipping {zone}", _cell(cells, position), errors)
        if amount is not None:
            shipping[zone] = amount
    if zones and not shipping and not errors:
        errors.append(CatalogError(line, "shipping", "is empty for every zone"))
    days = _days(line, _cell(cells, at["processing"]), errors)
    if errors or cost is None:
        yield from errors
        return
    yield SupplierRow(line, sku, code, cost, shipping, days)


def _days(line: int, text: str, errors: list[CatalogError]) -> int | None:
    """Processing days as a whole number (a range like '3-5' is read as its upper end)."""
    if not text:
        return None
    upper = text.split("-")[-1].strip().lower().removesuffix("days").strip()
    if is_digits(upper) and int(upper) <= 365:
        return int(upper)
    errors.append(CatalogError(line, "processing days", f"{text!r} is not a number of days"))
    return None
