"""A product's file replaced or removed on SQLite and PostgreSQL: the old file leaves the data
folder only once the unit of work commits, and a new file stored by a unit of work (or a
savepoint) that rolls back leaves with it, so the folder always holds what the rows name.

Before, the old file was deleted as the replacement was written: a rollback after it (a later
step refused, a failed commit) kept the row naming a file that was gone, and the buyer's download
link answered "this file is missing on the server"."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.commerce import service
from evergreen.commerce.models import ProductFile
from evergreen.db import Database, utcnow

SECRET = "files-commit-test-secret-" + "x" * 20


class _Refused(Exception):
    """A later step of the same unit of work failing, so it rolls back."""


def _then_refused(session: Session, work: Callable[[Session], object]) -> None:
    """`work`, then a later step of its unit of work (or savepoint) refused."""
    work(session)
    raise _Refused


def _store(product_id: int, data_dir: Path, content: bytes) -> Callable[[Session], object]:
    """The product's guide.pdf replaced by `content`."""
    return lambda session: service.store_file(session, data_dir, product_id, "guide.pdf", [content])


def _product(db: Database, data_dir: Path) -> tuple[int, str]:
    """A guide with its first file, bought by Ann: the product and her download token."""
    with db.session() as session:
        row = service.add_product(session, service.ProductDraft("Guide", "digital"))
        service.store_file(session, data_dir, row.id, "guide.pdf", [b"v0"])
        grant = service.grant(session, row.id, "ann@example.com", "order:1")[0]
        links = service.download_links(session, SECRET, "http://shop.example", grant.id, utcnow())
        return row.id, links[0].url.rsplit("/d/", 1)[1]


def _download(db: Database, data_dir: Path, token: str) -> bytes:
    with db.session() as session:
        return service.open_download(session, data_dir, SECRET, token, utcnow()).path.read_bytes()


def _on_disk(data_dir: Path, product_id: int) -> list[bytes]:
    return sorted(p.read_bytes() for p in (data_dir / "commerce" / str(product_id)).iterdir())


def _rows(db: Database, product_id: int) -> list[str]:
    with db.session(writer=False) as session:
        query = select(ProductFile.name).where(ProductFile.product_id == product_id)
        return list(session.scalars(query))


def test_a_replacement_rolled_back_keeps_the_old_file_and_the_download(
    db: Database, tmp_path: Path
) -> None:
    product_id, token = _product(db, tmp_path)
    with pytest.raises(_Refused), db.session() as session:
        _then_refused(session, _store(product_id, tmp_path, b"v1"))
    assert _download(db, tmp_path, token) == b"v0"
    assert _on_disk(tmp_path, product_id) == [b"v0"]  # the new file went with the rollback


def test_a_replacement_committed_removes_the_old_file(db: Database, tmp_path: Path) -> None:
    product_id, token = _product(db, tmp_path)
    with db.session() as session:
        service.store_file(session, tmp_path, product_id, "guide.pdf", [b"v1"])
        assert _on_disk(tmp_path, product_id) == [b"v0", b"v1"]  # not committed yet
        service.store_file(session, tmp_path, product_id, "guide.pdf", [b"v2"])
    assert _download(db, tmp_path, token) == b"v2"
    assert _on_disk(tmp_path, product_id) == [b"v2"]


def test_a_replacement_in_a_savepoint_rolled_back_keeps_the_old_file(
    db: Database, tmp_path: Path
) -> None:
    product_id, token = _product(db, tmp_path)
    with db.session() as session:
        with pytest.raises(_Refused), session.begin_nested():
            _then_refused(session, _store(product_id, tmp_path, b"v1"))
        service.store_file(session, tmp_path, product_id, "notes.txt", [b"notes"])
    assert _download(db, tmp_path, token) == b"v0"
    assert _on_disk(tmp_path, product_id) == [b"notes", b"v0"]


def test_a_savepoint_released_then_a_rollback_keeps_the_old_file(
    db: Database, tmp_path: Path
) -> None:
    product_id, token = _product(db, tmp_path)

    def released(session: Session) -> None:
        with session.begin_nested():
            service.store_file(session, tmp_path, product_id, "guide.pdf", [b"v1"])

    with pytest.raises(_Refused), db.session() as session:
        _then_refused(session, released)
    assert _download(db, tmp_path, token) == b"v0"
    assert _on_disk(tmp_path, product_id) == [b"v0"]


def test_a_removal_is_deleted_from_disk_only_when_committed(db: Database, tmp_path: Path) -> None:
    product_id, token = _product(db, tmp_path)
    with db.session(writer=False) as session:
        file_id = service.files_of(session, product_id)[0].id
    with pytest.raises(_Refused), db.session() as session:
        _then_refused(
            session, lambda session: service.remove_file(session, tmp_path, product_id, file_id)
        )
    assert _rows(db, product_id) == ["guide.pdf"]
    assert _download(db, tmp_path, token) == b"v0"
    with db.session() as session:
        service.remove_file(session, tmp_path, product_id, file_id)
        assert _on_disk(tmp_path, product_id) == [b"v0"]  # not committed yet
    assert _rows(db, product_id) == []
    assert _on_disk(tmp_path, product_id) == []
