"""Uploaded files kept in the data folder (draw photos, borrowers' documents): the type told by
the first bytes, written as they arrive under a size cap, found again only inside the folder."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from evergreen import datafiles
from evergreen.errors import NotFound
from evergreen.lending.errors import LendingInputError

__all__ = ["sniffed", "stored_file", "write_capped"]


def sniffed(
    chunks: Iterable[bytes], kind_of: Callable[[bytes], str]
) -> tuple[str, Iterator[bytes]]:
    """The type `kind_of` reads from the first bytes, and the chunks again from the start."""
    stream = iter(chunks)
    head = b""
    for chunk in stream:
        head += chunk
        if len(head) >= 16:
            break

    def again() -> Iterator[bytes]:
        if head:
            yield head
        yield from stream

    return kind_of(head), again()


def write_capped(
    folder: Path, ending: str, chunks: Iterable[bytes], cap: int, field: str, what: str
) -> tuple[str, int]:
    """Write one file as it arrives, refused past `cap` bytes; its file name and size."""
    stored = f"{secrets.token_hex(12)}.{ending}"
    too_large = LendingInputError(field, f"{what} must be at most {cap // (1024 * 1024)} MB")
    return stored, datafiles.write_capped(folder, stored, chunks, cap, too_large)


def stored_file(data_dir: Path, relative: str, field: str, what: str) -> Path:
    """Where a stored file lies; NotFound when it went missing from the data folder."""
    path = (data_dir / relative).resolve()
    if not path.is_relative_to(data_dir.resolve()) or not path.is_file():
        raise NotFound(field, f"the {what}'s file is missing from the data folder")
    return path
