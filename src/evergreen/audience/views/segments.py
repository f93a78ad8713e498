"""The segments page: saved segments with live counts, and a form that counts a query or saves
it as a segment, with help and examples."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from evergreen.audience.service import segments as service
from evergreen.errors import InputError
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DashboardUser, DbId, SessionDep
from evergreen.web.forms import Confirmation, FormPageDep, ask_first
from evergreen.web.templates import render

__all__ = ["EXAMPLES", "PREFIX", "router"]

PREFIX = "/audience/segments"
router = APIRouter(prefix=PREFIX, include_in_schema=False)
Text = Annotated[str, Form(max_length=20_000)]
_DONE = {"saved": "Segment saved.", "deleted": "Segment deleted."}
EXAMPLES = (
    ('tag:buyer and not clicked:30d and field.country = "DE"',
     "Buyers in Germany who clicked nothing in the last 30 days."),
    ('list:"Weekly tips"', "Subscribed to the list Weekly tips."),
    ('list:"Weekly tips":unconfirmed', "Signed up for Weekly tips but never confirmed."),
    ("status:subscribed and opened:90d", "Subscribed people who opened a mail in 90 days."),
    ("field.age >= 30 and field.age < 40", "Whose age field is a number from 30 to 39."),
    ("created:<7d and source:import", "Imported in the last 7 days."),
    ("not (opened:any or clicked:any)", "Never opened or clicked (proxy opens do not count)."),
)  # fmt: skip


def _rows(session: Session) -> list[dict[str, Any]]:
    return [
        {"row": row, "count": service.count_segment(session, row)}
        for row in service.segments(session)
    ]


def show_page(
    request: Request, session: Session, *, status_code: int = 200, **extra: Any
) -> Response:
    """The page; `extra` carries the form's values, a count or an error."""
    context: dict[str, Any] = {
        "title": "Segments",
        "segments": _rows(session),
        "examples": EXAMPLES,
        "error": None,
        "counted": None,
        "name": "",
        "query": "",
        "done": "",
        **extra,
    }
    return render(request, "audience/segments.html", context, status_code=status_code)


@router.get("")
def segments_page(
    request: Request, user: DashboardUser, session: SessionDep, done: str = "", query: str = ""
) -> Response:
    """Saved segments, counted now, and the form."""
    return show_page(request, session, done=_DONE.get(done, ""), query=query[:2_000])


@router.post("/count")
def count(
    request: Request,
    user: DashboardUser,
    _csrf: CsrfProtected,
    session: SessionDep,
    query: Text = "",
    name: Text = "",
) -> Response:
    """Count the query in the form and show the page again with the count or the mistake."""
    try:
        counted = service.count(session, query)
    except InputError as error:
        return show_page(request, session, status_code=400, error=error, query=query, name=name)
    return show_page(request, session, counted=counted, query=query, name=name)


@router.post("")
def save(
    request: Request,
    user: DashboardUser,
    _csrf: CsrfProtected,
    session: SessionDep,
    page: FormPageDep,
    query: Text = "",
    name: Text = "",
) -> Response:
    """Save the form's query under its name."""
    page.on_error(
        lambda error: show_page(
            request, session, status_code=400, error=error, query=query, name=name
        )
    )
    service.create_segment(session, name, query)
    return RedirectResponse(f"{PREFIX}?done=saved", status_code=303)


@router.post("/{segment_id}/delete")
def delete(
    request: Request,
    segment_id: DbId,
    user: DashboardUser,
    _csrf: CsrfProtected,
    session: SessionDep,
    confirm: Annotated[str, Form()] = "",
) -> Response:
    """Delete a saved segment, after asking (its subscribers are untouched)."""
    row = service.get_segment(session, segment_id)
    question = Confirmation(
        title=f"Delete the segment {row.name}?",
        consequence="The saved query is forgotten; no subscriber is changed. "
        "This cannot be undone.",
        button="Delete segment",
        cancel=PREFIX,
    )
    asked = ask_first(request, confirm, question)
    if asked is not None:
        return asked
    service.delete_segment(session, segment_id)
    return RedirectResponse(f"{PREFIX}?done=deleted", status_code=303)
