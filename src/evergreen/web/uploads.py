"""A request's raw body spooled to a temporary file under a size limit: the API's uploads
(product files, recordings, catalog CSVs) stream to disk, never into memory, and a body past
the limit is refused with a 413 that names it, before or while it arrives; a page's multipart
form is given to its route with its spooled files closed afterwards."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from typing import IO, Annotated, Any

from fastapi import Depends, HTTPException, Request
from starlette.datastructures import FormData

from evergreen.digits import is_digits
from evergreen.web.gate import MIB

__all__ = ["PostedForm", "chunks", "length_gate", "spooled_body"]


def spooled_body(
    limit: Callable[[], int], what: str = "file"
) -> Callable[[Request], AsyncIterator[IO[bytes]]]:
    """A dependency giving the body as an open temporary file; `limit` is read per request (a
    route also declares `body_limit` a little above it, so this 413 speaks first)."""

    async def body(request: Request) -> AsyncIterator[IO[bytes]]:
        most = limit()
        too_large = HTTPException(413, f"The {what} is larger than {max(1, most // MIB)} MB.")
        length = request.headers.get("content-length", "")
        if is_digits(length) and int(length) > most:
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


async def _posted(request: Request) -> AsyncIterator[FormData]:
    """The posted form, its spooled upload closed once the route is done."""
    posted = await request.form()
    try:
        yield posted
    finally:
        await posted.close()


PostedForm = Annotated[FormData, Depends(_posted)]


def length_gate(most: int, message: str) -> Any:
    """A page's upload refused from its Content-Length, over `most` bytes, with a 413 saying
    `message` before its body is read: `Annotated[None, length_gate(...)]` after its user."""

    def gate(request: Request) -> None:
        length = request.headers.get("content-length", "")
        if is_digits(length) and int(length) > most:
            raise HTTPException(413, message)

    return Depends(gate)
