"""A request's raw body spooled to a temporary file under a size limit: the API's uploads
(product files, recordings, catalog CSVs) stream to disk, never into memory, and a body past
the limit is refused with a 413 that names it, before or while it arrives."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from typing import IO

from fastapi import HTTPException, Request

from evergreen.web.gate import MIB

__all__ = ["chunks", "spooled_body"]


def spooled_body(
    limit: Callable[[], int], what: str = "file"
) -> Callable[[Request], AsyncIterator[IO[bytes]]]:
    """A dependency giving the body as an open temporary file; `limit` is read per request (a
    route also declares `body_limit` a little above it, so this 413 speaks first)."""

    async def body(request: Request) -> AsyncIterator[IO[bytes]]:
        most = limit()
        too_large = HTTPException(413, f"The {what} is larger than {max(1, most // MIB)} MB.")
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > most:
            raise too_large
        with tempfile.TemporaryFile() as spool:
            size = 0
            async for chunk in request.stream():
                size += len(chunk)
                if size > most:
                    raise too_large
                spool.write(chunk)
            spool.seek(0)
            yield spool

    return body


def chunks(spool: IO[bytes]) -> Iterator[bytes]:
    """A spooled body in pieces of a MiB, for a service that stores a stream."""
    while chunk := spool.read(MIB):
        yield chunk
