"""GET /d/<token>: a buyer's signed download link. It streams the file (Range requests too)
and counts it; a changed link is refused 403, an expired one 410, a revoked or used-up grant
403, each on a page that says what to do — never a 500."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import FileResponse, Response

from evergreen.commerce import service
from evergreen.commerce.rules.delivery import LinkRefused
from evergreen.db import utcnow
from evergreen.web.deps import Public, SessionDep, SettingsDep, client_address, writes
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
Token = Annotated[str, Path(max_length=200)]
_NO_STORE = {"Cache-Control": "no-store, private", "Referrer-Policy": "no-referrer"}


def refused_page(request: Request, error: LinkRefused) -> Response:
    """The page a refused link answers: what happened and where to get a fresh link."""
    title = "Link expired" if error.status == 410 else "Download not available"
    context = {"title": title, "message": error.message}
    response = render(request, "commerce/download_refused.html", context, error.status)
    response.headers.update(_NO_STORE)
    return response


@router.get("/d/{token}", dependencies=[Public])
@writes
def download(
    request: Request, token: Token, session: SessionDep, settings: SettingsDep
) -> Response:
    """Stream a granted file through its signed link, counted once per download (a Range
    request for a later part of the file continues one and is not counted again)."""
    ranged = request.headers.get("range", "").replace(" ", "")
    try:
        opened = service.open_download(
            session,
            settings.data_dir,
            request.app.state.secret,
            token,
            utcnow(),
            client_address(request),
            count=not ranged or ranged.startswith("bytes=0-"),
        )
    except LinkRefused as error:
        return refused_page(request, error)
    return FileResponse(
        opened.path,
        filename=opened.name,
        media_type="application/octet-stream",
        headers=_NO_STORE,
    )
