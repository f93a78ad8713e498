"""The whole journal as a beancount file, downloaded by the owner (for fava and bean-check)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator

from fastapi import APIRouter
from fastapi.responses import Response, StreamingResponse

from evergreen.db import utcnow
from evergreen.ledger.exports.journal import write_beancount
from evergreen.web.deps import OwnerUser, SessionDep

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/ledger/export.beancount")
def export_beancount(session: SessionDep, user: OwnerUser) -> Response:
    """Owner only: write the journal to a temporary file, then stream it (never all in memory)."""
    spool = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115
    try:
        write_beancount(session, spool)
        spool.seek(0)
    except BaseException:
        spool.close()
        raise

    def chunks() -> Iterator[bytes]:
        with spool:
            while block := spool.read(65536):
                yield block.encode()

    name = f"evergreen-{utcnow().date().isoformat()}.beancount"
    headers = {"content-disposition": f'attachment; filename="{name}"'}
    return StreamingResponse(chunks(), media_type="text/plain; charset=utf-8", headers=headers)
