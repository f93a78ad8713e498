"""Borrowers' documents without a database: PDFs and images are known by their first bytes
(never the name sent), kinds are the listed ones, notes are bounded."""

from __future__ import annotations

import pytest

from evergreen.lending.errors import LendingInputError
from evergreen.lending.rules.documents import (
    DOCUMENT_KINDS,
    DOCUMENT_TYPES,
    check_document,
    document_type,
)


@pytest.mark.parametrize(
    ("head", "media"),
    [
        (b"%PDF-1.7\n%\xe2\xe3", "application/pdf"),
        (b"%PDF-2.0", "application/pdf"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
        (b"GIF89a\x01\x00", "image/gif"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "image/webp"),
    ],
)
def test_documents_are_known_by_their_first_bytes(head: bytes, media: str) -> None:
    assert document_type(head) == media
    assert media in DOCUMENT_TYPES


@pytest.mark.parametrize(
    "head", [b"", b"%PDF", b" %PDF-1.7", b"<html><body>%PDF-", b"PK\x03\x04word", b"<svg xmlns="]
)
def test_anything_else_is_refused_whatever_it_is_called(head: bytes) -> None:
    with pytest.raises(LendingInputError, match="PDF or an image") as refused:
        document_type(head)
    assert refused.value.field == "file"


def test_a_kind_is_one_of_the_listed_and_a_note_is_trimmed_and_bounded() -> None:
    assert set(DOCUMENT_KINDS) == {
        "id", "operating_agreement", "insurance", "appraisal", "title", "other",
    }  # fmt: skip
    assert check_document("insurance", "  policy 2027 \n") == ("insurance", "policy 2027")
    with pytest.raises(LendingInputError, match="must be one of") as bad_kind:
        check_document("passport", "")
    assert bad_kind.value.field == "kind"
    assert check_document("other", "x" * 500)[1] == "x" * 500
    with pytest.raises(LendingInputError, match="at most 500") as long_note:
        check_document("other", "x" * 501)
    assert long_note.value.field == "note"
