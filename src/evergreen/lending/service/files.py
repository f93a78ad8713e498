"""Uploaded files kept in the data folder (draw photos, borrowers' documents): the type told by
the first bytes, written as they arrive under a size cap, found again only inside the folder."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

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
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f"upload-{os.getpid()}-{secrets.token_hex(4)}.part"
    size = 0
    try:
        with partial.open("wb") as out:
            for chunk in chunks:
                size += len(chunk)
                if size > cap:
                    raise LendingInputError(
                        field, f"{what} must be at most {cap // (1024 * 1024)} MB"
                    )
                out.write(chunk)
        stored = f"{secrets.token_hex(12)}.{ending}"
        partial.replace(folder / stored)
    finally:
        partial.unlink(missing_ok=True)
    return stored, size


def stored_file(data_dir: Path, relative: str, field: str, what: str) -> Path:
    """Where a stored file lies; NotFound when it went missing from the data folder."""
    path = (data_dir / relative).resolve()
    if not path.is_relative_to(data_dir.resolve()) or not path.is_file():
        raise NotFound(field, f"the {what}'s file is missing from the data folder")
    return path
