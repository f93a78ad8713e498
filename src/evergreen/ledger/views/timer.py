"""The timer on the dashboard: start timing a stream, stop and keep the time as its hours."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import Response

from evergreen.db import utcnow
from evergreen.digits import row_id
from evergreen.errors import NotFound
from evergreen.ledger import service
from evergreen.ledger.views.forms import back_to
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import OwnerUser, SessionDep

__all__ = ["router"]

router = APIRouter(prefix="/ledger/timer", include_in_schema=False)
FormStr = Annotated[str, Form()]


@router.post("/start")
def start(
    user: OwnerUser,
    session: SessionDep,
    _csrf: CsrfProtected,
    stream: FormStr = "",
    memo: FormStr = "",
    next: FormStr = "/",
) -> Response:
    """Start timing a stream (a timer already running is stopped and its time kept)."""
    chosen = row_id(stream)
    if chosen is None:
        return back_to(next, "/", problem="no-stream")
    try:
        found = service.get_stream(session, chosen)
    except NotFound:
        return back_to(next, "/", problem="no-stream")
    service.start_timer(session, found, utcnow(), memo.strip())
    return back_to(next, "/", done="timer-started")


@router.post("/stop")
def stop(
    user: OwnerUser, session: SessionDep, _csrf: CsrfProtected, next: FormStr = "/"
) -> Response:
    """Stop the timer and record its time, split by day, as the stream's hours."""
    if service.running_timer(session) is None:
        return back_to(next, "/", problem="no-timer")
    service.stop_timer(session, utcnow())
    return back_to(next, "/", done="timer-stopped")
