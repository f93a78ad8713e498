"""Two uploads of one file name to one product at once (tests/races.py, both databases). The
upload is streamed first, then the product is locked before its file of that name is read, so
the later upload replaces the earlier as the same upload one after the other does: one row, the
later file's bytes, and no file left in the data folder that no row names.

Before, on PostgreSQL: two first uploads both saw no file and both inserted (an IntegrityError,
a 500, and the refused upload's file left on disk); two replacements both read the old row and
the one that wrote last left the other's new file orphaned."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.commerce import service
from evergreen.commerce.models import ProductFile
from evergreen.db import Database
from tests.races import race


def _product(db: Database) -> int:
    with db.session() as session:
        return service.add_product(session, service.ProductDraft("Guide", "digital")).id


def _upload(data_dir: Path, product_id: int, content: bytes) -> object:
    def work(session: Session) -> object:
        return service.store_file(session, data_dir, product_id, "guide.pdf", [content]).path

    return work


def _after(db: Database, data_dir: Path, product_id: int) -> tuple[list[bytes], list[str]]:
    """The product's files' bytes, and the files in its folder."""
    with db.session(writer=False) as session:
        rows = session.scalars(select(ProductFile).where(ProductFile.product_id == product_id))
        kept = [(data_dir / row.path).read_bytes() for row in rows]
    folder = data_dir / "commerce" / str(product_id)
    return kept, sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("existing", [False, True], ids=["first upload", "replacement"])
def test_two_uploads_of_one_name_at_once_keep_one_file_and_no_orphan(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, existing: bool
) -> None:
    product_id = _product(db)
    if existing:
        with db.session() as session:
            service.store_file(session, tmp_path, product_id, "guide.pdf", [b"v0"])
    # Paused once it has read the product's file of that name (none yet, or the old one).
    (first, first_error), (second, second_error) = race(
        db, monkeypatch, _upload(tmp_path, product_id, b"v1"), _upload(tmp_path, product_id, b"v2"),
        pause_at=(Session, "scalar"), pause_after=True,
    )  # fmt: skip
    assert first_error is None, first_error
    assert second_error is None, second_error
    kept, on_disk = _after(db, tmp_path, product_id)
    assert len(kept) == 1
    assert kept[0] in (b"v1", b"v2")  # whichever came last replaced the other
    assert len(on_disk) == 1, on_disk  # no orphan
    assert {first, second} >= {f"commerce/{product_id}/{on_disk[0]}"}
