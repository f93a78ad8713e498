"""The streams: the list, and the form that adds one (also on an empty home page)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from evergreen.db import utcnow
from evergreen.errors import InputError
from evergreen.ledger import service
from evergreen.ledger.rules import StreamKind, parse_date
from evergreen.ledger.views.forms import back_to, optional_rate, percent
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DashboardUser, OwnerUser, SessionDep
from evergreen.web.forms import FormPageDep
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
FormStr = Annotated[str, Form()]


def _page(request: Request, session: Session, *, status_code: int = 200, **extra: Any) -> Response:
    """The list and the add form; `extra` carries the form's values and its error."""
    prefs = service.preferences(session)
    context: dict[str, Any] = {
        "title": "Streams",
        "streams": service.all_streams(session),
        "kinds": list(StreamKind),
        "prefs": prefs,
        "percent": percent,
        "today": utcnow().date(),
        "form": {"currency": prefs.currency},
        "error": None,
        "added": "",
        **extra,
    }
    return render(request, "ledger/listing.html", context, status_code=status_code)


@router.get("/ledger")
def ledger(user: DashboardUser) -> Response:
    """The ledger's own address: its streams (the figures are on the home page)."""
    return RedirectResponse("/ledger/streams", status_code=303)


@router.get("/ledger/streams")
def streams_page(
    request: Request, user: DashboardUser, session: SessionDep, done: str = ""
) -> Response:
    """Every stream, and (for the owner) a form to add one."""
    return _page(request, session, added=done == "stream-added")


@router.post("/ledger/streams")
def add_stream(
    request: Request,
    user: OwnerUser,
    session: SessionDep,
    form: FormPageDep,
    _csrf: CsrfProtected,
    name: FormStr = "",
    kind: FormStr = "",
    currency: FormStr = "",
    started_on: FormStr = "",
    recurring: FormStr = "",
    hourly_rate: FormStr = "",
    required_return: FormStr = "",
    next: FormStr = "/ledger/streams",
) -> Response:
    """Add a stream; a refused value shows the form again with what to fix, nothing stored."""
    values = {
        "name": name, "kind": kind, "currency": currency, "started_on": started_on,
        "recurring": recurring, "hourly_rate": hourly_rate, "required_return": required_return,
    }  # fmt: skip
    form.on_error(lambda error: _refused(request, session, values, error))
    draft = service.StreamDraft(
        name=name,
        kind=StreamKind.parse(kind or "other"),
        currency=currency.strip() or service.preferences(session).currency,
        started_on=parse_date(started_on.strip(), "started_on") if started_on.strip() else None,
        recurring=bool(recurring),
        hourly_rate=optional_rate(hourly_rate, "hourly_rate"),
        required_return=optional_rate(required_return, "required_return"),
    )
    service.add_stream(session, draft, utcnow().date())
    return back_to(next, "/ledger/streams", done="stream-added")


def _refused(
    request: Request, session: Session, values: dict[str, str], error: InputError
) -> Response:
    status = 400 if error.status == 422 else error.status
    return _page(request, session, status_code=status, form=values, error=error)
