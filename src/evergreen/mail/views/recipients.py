"""What a recipient reaches from a message: one-click unsubscribe (RFC 8058) and the pixel.

`POST /mail/u/{token}` with the body `List-Unsubscribe=One-Click` is what mail providers send
for the `List-Unsubscribe-Post` header: no cookies, no CSRF token, no page; the signed token is
the whole authority, and it only lets its own person leave its own list. `GET` shows a page with
a button (mail scanners follow GET links, so GET alone never unsubscribes anyone); the button
posts back to the same URL.
"""

from __future__ import annotations

import base64

from fastapi import APIRouter, Request
from fastapi.responses import Response

from evergreen.db import utcnow
from evergreen.mail.errors import MailInputError
from evergreen.mail.service import recipients
from evergreen.web.deps import Public, SessionDep, writes
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(prefix="/mail", include_in_schema=False)

_GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
_NO_STORE = {"Cache-Control": "no-store, private", "Referrer-Policy": "no-referrer"}


def _page(request: Request, state: str, token: str, status: int = 200) -> Response:
    response = render(
        request, "mail/unsubscribe.html", {"state": state, "token": token}, status_code=status
    )
    response.headers.update(_NO_STORE)
    return response


@router.get("/u/{token}", dependencies=[Public])
def unsubscribe_page(request: Request, token: str) -> Response:
    """A page with one button: leave the list this message came from."""
    try:
        recipients.read_unsubscribe_token(request.app.state.secret, token)
    except MailInputError:
        return _page(request, "invalid", token, 404)
    return _page(request, "ask", token)


@router.post("/u/{token}", dependencies=[Public])
async def unsubscribe(request: Request, token: str, session: SessionDep) -> Response:
    """RFC 8058 one-click (body `List-Unsubscribe=One-Click`), or the page's button."""
    form = await request.form()
    one_click = form.get("List-Unsubscribe") == "One-Click"
    try:
        recipients.unsubscribe(
            session,
            request.app.state.secret,
            token,
            "List-Unsubscribe one-click" if one_click else "unsubscribe page",
        )
    except MailInputError:
        if one_click:
            return Response("unknown unsubscribe link\n", 404, media_type="text/plain")
        return _page(request, "invalid", token, 404)
    if one_click:
        return Response("unsubscribed\n", 200, media_type="text/plain", headers=_NO_STORE)
    return _page(request, "done", token)


@router.get("/o/{token}.gif", dependencies=[Public])
@writes
def open_pixel(request: Request, token: str, session: SessionDep) -> Response:
    """A 1x1 GIF; the first open of a message by a person (or by Apple's proxy) is noted."""
    client = request.client.host if request.client else None
    recipients.record_open(
        session,
        request.app.state.secret,
        token,
        request.headers.get("user-agent", ""),
        client,
        utcnow(),
    )
    return Response(_GIF, media_type="image/gif", headers=_NO_STORE)
