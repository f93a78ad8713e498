"""Borrowers' documents: which uploads are accepted (PDF or image, by their first bytes, never
by the name the browser sends), how big, and the kinds the owner files them under."""

from __future__ import annotations

from evergreen.lending.errors import LendingInputError
from evergreen.lending.rules.photos import PHOTO_TYPES, photo_type

__all__ = [
    "DOCUMENT_KINDS",
    "DOCUMENT_TYPES",
    "MAX_DOCUMENT_BYTES",
    "check_document",
    "document_type",
]

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
# Media type → the file ending it is stored under.
DOCUMENT_TYPES = {"application/pdf": "pdf", **PHOTO_TYPES}
# Kind → how a page names it.
DOCUMENT_KINDS = {
    "id": "ID",
    "operating_agreement": "Operating agreement",
    "insurance": "Insurance",
    "appraisal": "Appraisal",
    "title": "Title",
    "other": "Other",
}


def document_type(head: bytes) -> str:
    """The type of a document from its first bytes (PDF or an image), or the refusal."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    try:
        return photo_type(head)
    except LendingInputError:
        raise LendingInputError(
            "file", "must be a PDF or an image (JPEG, PNG, GIF or WebP)"
        ) from None


def check_document(kind: str, note: str) -> tuple[str, str]:
    """The kind and note of a document, checked; the note trimmed."""
    if kind not in DOCUMENT_KINDS:
        raise LendingInputError(
            "kind", f"must be one of {', '.join(DOCUMENT_KINDS)} (got {kind!r})"
        )
    clean = note.strip()
    if len(clean) > 500:
        raise LendingInputError("note", "must be at most 500 characters")
    return kind, clean
