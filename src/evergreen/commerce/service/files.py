"""A digital product's files, stored as they arrive under the data folder (commerce/<id>/).

The data folder follows the database (`datafiles.delete_when`): a file replaced or removed is
deleted from disk only once its unit of work commits (a rollback keeps the row naming it), and a
file stored by a unit of work that rolls back (or a savepoint of it) is deleted with it."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.models import ProductFile
from evergreen.commerce.rules.products import MAX_FILE_BYTES, check_file_name
from evergreen.commerce.service.products import get_product
from evergreen.datafiles import delete_when, read_chunks, write_capped
from evergreen.errors import Conflict, NotFound

__all__ = [
    "FileTooLarge",
    "file_path",
    "files_of",
    "remove_file",
    "store_file",
    "store_file_from_path",
]

_FILE_KINDS = ("digital", "bundle", "subscription")


class FileTooLarge(CommerceInputError):
    """An upload over the size limit (413 in the API, a note on the page)."""

    status = 413


def files_of(session: Session, product_id: int) -> list[ProductFile]:
    """The product's files in the order they were added."""
    query = select(ProductFile).where(ProductFile.product_id == product_id)
    return list(session.scalars(query.order_by(ProductFile.id)))


def store_file(
    session: Session,
    data_dir: Path,
    product_id: int,
    name: str,
    chunks: Iterable[bytes],
    limit: int = MAX_FILE_BYTES,
) -> ProductFile:
    """Store a file as it arrives, refused past `limit` bytes or when empty; a file of the
    same name on the product is replaced (its old file deleted once that is committed)."""
    product = get_product(session, product_id)
    if product.kind not in _FILE_KINDS:
        raise CommerceInputError("file", f"a {product.kind} product delivers no files")
    checked = check_file_name(name)
    folder = data_dir / "commerce" / str(product.id)
    stored = f"{secrets.token_hex(8)}-{checked}"
    too_large = FileTooLarge(
        "file", f"is larger than {limit // (1024 * 1024)} MB; upload a smaller one"
    )
    empty = CommerceInputError("file", "is empty; choose the file to deliver")
    size = write_capped(folder, stored, chunks, limit, too_large, empty)
    try:
        row = _keep(session, data_dir, product.id, checked, f"commerce/{product.id}/{stored}", size)
    except BaseException:  # the row was not written: the file it would name goes too
        (folder / stored).unlink(missing_ok=True)
        raise
    delete_when(session, folder / stored, "rollback")
    return row


def _keep(
    session: Session, data_dir: Path, product_id: int, name: str, path: str, size: int
) -> ProductFile:
    """The streamed file becomes the product's file of that name, under the product's lock
    (taken after the streaming, so a slow upload holds nothing): two uploads of one name at
    once are one after the other, the later replacing the earlier, whose file is removed once
    this unit of work commits (until then, a download still finds it)."""
    get_product(session, product_id, lock=True)
    row = session.scalar(
        select(ProductFile)
        .where(ProductFile.product_id == product_id, ProductFile.name == name)
        .execution_options(populate_existing=True)
    )
    replaced = None
    if row is not None:
        replaced = data_dir / row.path
    else:
        row = ProductFile(product_id=product_id, name=name)
        session.add(row)
    row.path, row.size_bytes = path, size
    session.flush()
    if replaced is not None:
        delete_when(session, replaced, "commit")
    return row


def store_file_from_path(
    session: Session, data_dir: Path, product_id: int, path: Path, limit: int = MAX_FILE_BYTES
) -> ProductFile:
    """Store a file from this machine (the CLI's --file), under its own name."""
    if not path.is_file():
        raise CommerceInputError("file", f"there is no file at {str(path)[:200]}")
    return store_file(session, data_dir, product_id, path.name, read_chunks(path), limit)


def _file(session: Session, product_id: int, file_id: int) -> ProductFile:
    row = session.get(ProductFile, file_id)
    if row is None or row.product_id != product_id:
        raise NotFound("file_id", f"no file {file_id} on product {product_id}")
    return row


def file_path(session: Session, data_dir: Path, product_id: int, file_id: int) -> Path:
    """Where a product's file lies, refused when it is missing from the data folder."""
    row = _file(session, product_id, file_id)
    path = data_dir / row.path
    if not path.is_file():
        raise Conflict("file_id", f"the file {row.name!r} is missing from the data folder")
    return path


def remove_file(session: Session, data_dir: Path, product_id: int, file_id: int) -> None:
    """Remove a file from the product, and from the data folder once that is committed."""
    row = _file(session, product_id, file_id)
    path = data_dir / row.path
    session.delete(row)
    session.flush()
    delete_when(session, path, "commit")
