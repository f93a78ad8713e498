"""Borrowers' documents on SQLite and PostgreSQL: a PDF or image is stored under the data
folder with its kind and note, a refused file stores nothing (no row, no file), one borrower's
document is not found under another, and removing takes the row and the file away."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from evergreen.db import Database
from evergreen.errors import InputError, NotFound
from evergreen.lending import service
from evergreen.lending.models import BorrowerDocument
from evergreen.lending.rules.documents import MAX_DOCUMENT_BYTES

PDF = b"%PDF-1.7\n" + b"0" * 100


def _two(db: Database) -> tuple[int, int]:
    with db.session() as session:
        ann = service.add_borrower(session, service.BorrowerDraft("Ann LLC", "llc")).id
        bob = service.add_borrower(session, service.BorrowerDraft("Bob Flip")).id
    return ann, bob


def _files(data_dir: Path) -> list[Path]:
    return sorted(p for p in (data_dir / "lending").rglob("*") if p.is_file())


def test_a_document_is_stored_listed_found_only_under_its_borrower_and_removed(
    db: Database, tmp_path: Path
) -> None:
    ann, bob = _two(db)
    with db.session() as session:
        first = service.add_document(session, tmp_path, ann, "operating_agreement", " signed ",
                                     "C:\\scans\\oa.pdf", [PDF[:4], PDF[4:]])  # fmt: skip
        second = service.add_document(session, tmp_path, ann, "id", "", "ann.png",
                                      [b"\x89PNG\r\n\x1a\n" + b"\x00" * 30])  # fmt: skip
        ids = first.id, second.id
    with db.session(writer=False) as session:
        rows = service.documents_of(session, ann)
        assert [r.id for r in rows] == [ids[1], ids[0]]  # newest first
        oa = rows[1]
        assert (oa.kind, oa.note, oa.name, oa.media_type, oa.size) == (
            "operating_agreement", "signed", "oa.pdf", "application/pdf", len(PDF),
        )  # fmt: skip
        assert oa.path.startswith(f"lending/borrowers/{ann}/")
        assert oa.path.endswith(".pdf")
        assert service.document_file(tmp_path, oa).read_bytes() == PDF
        assert service.documents_of(session, bob) == []
        with pytest.raises(NotFound):
            service.get_document(session, bob, ids[0])
    with db.session() as session, pytest.raises(NotFound):
        service.remove_document(session, tmp_path, bob, ids[0])
    assert len(_files(tmp_path)) == 2
    with db.session() as session:
        service.remove_document(session, tmp_path, ann, ids[0])
    with db.session(writer=False) as session:
        assert [r.id for r in service.documents_of(session, ann)] == [ids[1]]
    assert [p.suffix for p in _files(tmp_path)] == [".png"]
    before_commit: list[str] = []

    def remove_then_fail() -> None:
        with db.session() as session:  # removed, then rolled back
            service.remove_document(session, tmp_path, ann, ids[1])
            before_commit.extend(p.suffix for p in _files(tmp_path))
            raise RuntimeError("the unit of work fails after the removal")

    with pytest.raises(RuntimeError):
        remove_then_fail()
    assert before_commit == [".png"]  # not deleted before the commit
    with db.session(writer=False) as session:
        (kept,) = service.documents_of(session, ann)
        assert service.document_file(tmp_path, kept).read_bytes()[:4] == b"\x89PNG"


def test_a_refused_file_leaves_no_row_and_no_file(db: Database, tmp_path: Path) -> None:
    ann, _bob = _two(db)
    too_big = [PDF] + [b"0" * (1024 * 1024)] * (MAX_DOCUMENT_BYTES // (1024 * 1024))
    cases = [
        ("other", [b"<html>%PDF-1.7</html>"], "file", "PDF or an image"),
        ("other", too_big, "file", "at most 20 MB"),
        ("passport", [PDF], "kind", "must be one of"),
    ]
    for kind, chunks, field, message in cases:
        with db.session() as session, pytest.raises(InputError, match=message) as refused:
            service.add_document(session, tmp_path, ann, kind, "", "x.pdf", chunks)
        assert refused.value.field == field
    with db.session() as session, pytest.raises(NotFound):
        service.add_document(session, tmp_path, 999_999, "other", "", "x.pdf", [PDF])
    with db.session(writer=False) as session:
        assert session.scalar(select(func.count()).select_from(BorrowerDocument)) == 0
    assert _files(tmp_path) == []
