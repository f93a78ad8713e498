"""Uploads written into the data folder as they arrive: a partial file under a size cap, renamed
into place only when whole, so a refused or broken upload leaves nothing behind; a file on this
machine (a command's --file) read in pieces as an upload arrives."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path

__all__ = ["read_chunks", "write_capped"]


def write_capped(
    folder: Path,
    name: str,
    chunks: Iterable[bytes],
    cap: int,
    too_large: Exception,
    empty: Exception | None = None,
) -> int:
    """Write `chunks` to `folder`/`name` atomically; `too_large` past `cap` bytes, `empty` (when
    given) for no bytes at all, either leaving no file. The size written."""
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f"upload-{os.getpid()}-{secrets.token_hex(4)}.part"
    size = 0
    try:
        with partial.open("wb") as out:
            for chunk in chunks:
                size += len(chunk)
                if size > cap:
                    raise too_large
                out.write(chunk)
        if size == 0 and empty is not None:
            raise empty
        partial.replace(folder / name)
    finally:
        partial.unlink(missing_ok=True)
    return size


def read_chunks(path: Path, size: int = 1024 * 1024) -> Iterator[bytes]:
    """A file on this machine in pieces of `size` bytes, as an upload arrives."""
    with path.open("rb") as source:
        while chunk := source.read(size):
            yield chunk
