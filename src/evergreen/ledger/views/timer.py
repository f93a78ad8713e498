"""The timer on the dashboard: start timing a stream, stop and keep the time as its hours."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from evergreen.areas import Area, HomeSection
from evergreen.db import utcnow
from evergreen.digits import row_id
from evergreen.errors import InputError, NotFound
from evergreen.ledger import service
from evergreen.ledger.area import AREA
from evergreen.ledger.views.forms import back_to
from evergreen.ledger.views.forms import memo as memo_of
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import OwnerUser, SessionDep
from evergreen.web.forms import FormPageDep
from evergreen.web.pages import dashboard

__all__ = ["router"]

router = APIRouter(prefix="/ledger/timer", include_in_schema=False)
FormStr = Annotated[str, Form()]


@router.post("/start")
def start(
    request: Request,
    user: OwnerUser,
    session: SessionDep,
    page: FormPageDep,
    _csrf: CsrfProtected,
    stream: FormStr = "",
    memo: FormStr = "",
    next: FormStr = "/",
) -> Response:
    """Start timing a stream (a timer already running is stopped and its time kept)."""
    typed = {"stream": stream, "memo": memo}
    page.on_error(lambda error: _refused(request, session, next, error, "started", typed))
    chosen = row_id(stream)
    if chosen is None:
        return back_to(next, "/", problem="no-stream")
    try:
        found = service.get_stream(session, chosen)
    except NotFound:
        return back_to(next, "/", problem="no-stream")
    service.start_timer(session, found, utcnow(), memo_of(memo))
    return back_to(next, "/", done="timer-started")


@router.post("/stop")
def stop(
    request: Request,
    user: OwnerUser,
    session: SessionDep,
    page: FormPageDep,
    _csrf: CsrfProtected,
    next: FormStr = "/",
) -> Response:
    """Stop the timer and record its time, split by day, as the stream's hours."""
    page.on_error(lambda error: _refused(request, session, next, error, "stopped"))
    if service.running_timer(session) is None:
        return back_to(next, "/", problem="no-timer")
    service.stop_timer(session, utcnow())
    return back_to(next, "/", done="timer-stopped")


def _refused(
    request: Request,
    session: Session,
    back: str,
    error: InputError,
    not_done: str,
    typed: dict[str, str] | None = None,
) -> Response:
    """The dashboard the form came from, its timer saying what to fix beside the form, which
    keeps what was typed (a redirect to the page would lose it)."""
    status = 400 if error.status == 422 else error.status

    def timer_refused(area: Area, section: HomeSection) -> HomeSection:
        if area is not AREA:
            return section
        context = {
            **section.context,
            "timer_error": error,
            "timer_problem": f"The timer was not {not_done}:",
            "timer_form": typed or {},
        }
        return HomeSection(section.template, context, max(section.status, status))

    return dashboard(_home_request(request, back), session, timer_refused)


def _home_request(request: Request, back: str) -> Request:
    """The request as the home page at `back` had it, so its period (and the address its forms
    come back to) is the one the owner was looking at, and the navigation marks Dashboard."""
    path, _, query = back.partition("?")
    kept = query if path == "/" and query.isascii() else ""
    # Less the timer's endpoint: the navigation marks the area whose code answered (here the
    # ledger) before it looks at the path, which alone marks Dashboard.
    scope = {key: value for key, value in request.scope.items() if key != "endpoint"}
    scope.update(path="/", raw_path=b"/", query_string=kept.encode())
    return Request(scope, request.receive)
