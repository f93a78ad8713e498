"""Borrowers' documents: the owner or staff file a PDF or image on a borrower, the owner
removes one; a borrower sees only their own (anything else is NotFound, as one that is not)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.datafiles import delete_when
from evergreen.errors import NotFound
from evergreen.lending.models import BorrowerDocument
from evergreen.lending.rules.documents import (
    DOCUMENT_TYPES,
    MAX_DOCUMENT_BYTES,
    check_document,
    document_type,
)
from evergreen.lending.service.files import sniffed, stored_file, write_capped
from evergreen.lending.service.parties import get_borrower

__all__ = [
    "add_document",
    "document_file",
    "documents_of",
    "find_document",
    "get_document",
    "remove_document",
]


def documents_of(session: Session, borrower_id: int) -> list[BorrowerDocument]:
    """A borrower's documents, newest first."""
    query = select(BorrowerDocument).where(BorrowerDocument.borrower_id == borrower_id)
    return list(session.scalars(query.order_by(BorrowerDocument.id.desc())))


def add_document(
    session: Session,
    data_dir: Path,
    borrower_id: int,
    kind: str,
    note: str,
    name: str,
    chunks: Iterable[bytes],
) -> BorrowerDocument:
    """File a PDF or image on a borrower; a refused file (type, size) stores nothing."""
    borrower = get_borrower(session, borrower_id)
    kind, note = check_document(kind, note)
    media, again = sniffed(chunks, document_type)
    folder = data_dir / "lending" / "borrowers" / str(borrower.id)
    stored, size = write_capped(folder, DOCUMENT_TYPES[media], again, MAX_DOCUMENT_BYTES,
                                "file", "a document")  # fmt: skip
    label = Path(name.replace("\\", "/")).name.strip()[:200] or stored
    row = BorrowerDocument(borrower_id=borrower.id, kind=kind, note=note, name=label,
                           path=f"lending/borrowers/{borrower.id}/{stored}", media_type=media,
                           size=size)  # fmt: skip
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except BaseException:
        (folder / stored).unlink(missing_ok=True)
        raise
    return row


def get_document(session: Session, borrower_id: int, document_id: int) -> BorrowerDocument:
    """One of this borrower's documents; another borrower's is the same NotFound as none."""
    row = session.get(BorrowerDocument, document_id)
    if row is None or row.borrower_id != borrower_id:
        raise NotFound("document_id", f"there is no document {document_id}")
    return row


def find_document(session: Session, document_id: int) -> BorrowerDocument:
    """A document by its ID alone (the command line names no borrower), or NotFound."""
    row = session.get(BorrowerDocument, document_id)
    if row is None:
        raise NotFound("document_id", f"there is no document {document_id}")
    return row


def document_file(data_dir: Path, row: BorrowerDocument) -> Path:
    """Where a document lies; NotFound when the file went missing from the data folder."""
    return stored_file(data_dir, row.path, "document_id", "document")


def remove_document(session: Session, data_dir: Path, borrower_id: int, document_id: int) -> None:
    """Take a document off a borrower, and out of the data folder once that is committed (a
    rollback keeps the row naming it, and its file)."""
    row = get_document(session, borrower_id, document_id)
    path = (data_dir / row.path).resolve()
    session.delete(row)
    session.flush()
    if path.is_relative_to(data_dir.resolve()):
        delete_when(session, path, "commit")
