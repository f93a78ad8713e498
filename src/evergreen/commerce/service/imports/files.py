"""An import's upload kept in the data folder between preview and run, and read back as the
entries the run works through: Shopify products (as catalog units) or supplier rows."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TextIO

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.rules.catalog import (
    CatalogError,
    SupplierRow,
    read_shopify_products,
    read_supplier_rows,
)
from evergreen.commerce.rules.importing import ImportUnit, units_of

__all__ = ["MAX_IMPORT_BYTES", "Entry", "entries", "remove_upload", "store_upload"]

MIB = 1024 * 1024
MAX_IMPORT_BYTES = 50 * MIB  # a 10,000-product Shopify export is about 5 MB
_FOLDER = "commerce/imports"
# One entry of a file: a Shopify product's units, a supplier row, or one refused row.
Entry = list[ImportUnit] | SupplierRow | CatalogError


def store_upload(data_dir: Path, source: IO[bytes]) -> str:
    """Copy an upload to the data folder in blocks; its path relative to the data folder."""
    folder = data_dir / _FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    relative = f"{_FOLDER}/{secrets.token_urlsafe(18)}.csv"
    path = data_dir / relative
    size = 0
    with path.open("wb") as out:
        while block := source.read(MIB):
            size += len(block)
            if size > MAX_IMPORT_BYTES:
                out.close()
                path.unlink(missing_ok=True)
                raise CommerceInputError("file", f"is larger than {MAX_IMPORT_BYTES // MIB} MB")
            out.write(block)
    if size == 0:
        path.unlink(missing_ok=True)
        raise CommerceInputError("file", "is empty: choose a CSV file with its header row")
    return relative


def remove_upload(data_dir: Path, relative: str) -> None:
    """Forget an upload once its import is done (or refused)."""
    if relative.startswith(f"{_FOLDER}/"):
        (data_dir / relative).unlink(missing_ok=True)


def _decoded(handle: TextIO) -> Iterator[str]:
    """The file's lines; a file that is not UTF-8 is refused by name, never half-read."""
    try:
        yield from handle
    except UnicodeDecodeError:
        raise CommerceInputError(
            "file", "is not UTF-8 text; save it as “CSV UTF-8” and upload it again"
        ) from None


def _shopify(lines: Iterator[str]) -> Iterator[Entry]:
    """Each product's units, or its errors; a SKU used by an earlier product is refused."""
    seen: dict[str, int] = {}
    for item in read_shopify_products(lines):
        if isinstance(item, CatalogError):
            yield item
            continue
        units = units_of(item)
        if units and isinstance(units[0], CatalogError):
            yield from (error for error in units if isinstance(error, CatalogError))
            continue
        ready = [unit for unit in units if isinstance(unit, ImportUnit)]
        repeated = [unit for unit in ready if unit.sku and unit.sku in seen]
        if repeated:
            first = repeated[0]
            yield CatalogError(
                first.line, "Variant SKU", f"{first.sku!r} is used at line {seen[first.sku]}"
            )
            continue
        seen.update((unit.sku, unit.line) for unit in ready if unit.sku)
        yield ready


@contextmanager
def entries(data_dir: Path, relative: str, kind: str, currency: str) -> Iterator[Iterator[Entry]]:
    """The file's entries in order, read as a stream (a fresh pass each time)."""
    path = data_dir / relative
    if not path.is_file():
        raise CommerceInputError("file", "the upload is gone; upload the file again")
    with path.open(encoding="utf-8", newline="") as handle:
        lines = _decoded(handle)
        if kind == "shopify":
            yield _shopify(lines)
        else:
            yield iter(read_supplier_rows(lines, currency=currency))
