"""File downloads for pages: CSV streamed from a temporary file, never held in memory."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from typing import Any, TextIO

from fastapi.responses import Response, StreamingResponse

__all__ = ["csv_download", "file_answer"]


def csv_download(name: str, write: Callable[[TextIO], object]) -> Response:
    """Write a CSV to a temporary file, then stream it: big exports never sit in memory."""
    spool = tempfile.TemporaryFile(mode="w+", encoding="utf-8", newline="")  # noqa: SIM115
    try:
        write(spool)
        spool.seek(0)
    except BaseException:
        spool.close()
        raise

    def chunks() -> Iterator[bytes]:
        with spool:
            while block := spool.read(65536):
                yield block.encode()

    headers = {"content-disposition": f'attachment; filename="{name}"'}
    return StreamingResponse(chunks(), media_type="text/csv; charset=utf-8", headers=headers)


def file_answer(description: str, *media_types: str) -> dict[str, Any]:
    """Route arguments that document a file answer (a CSV, an image) instead of JSON."""
    content = {media: {"schema": {"type": "string"}} for media in media_types}
    answer = {"description": description, "content": content}
    return {"response_class": Response, "responses": {200: answer}}
