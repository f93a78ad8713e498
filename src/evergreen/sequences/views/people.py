"""/sequences/{id}/edit, /enrol, /exit and /preview: change a live sequence's steps and texts,
enrol or take out one person by hand, and see what one subscriber gets and when."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from evergreen.digits import is_digits
from evergreen.errors import InputError
from evergreen.sequences import queries, service
from evergreen.sequences.preview import MAX_DAYS, Preview, instant, preview
from evergreen.sequences.views.forms import DocStr, FormStr, document_of, pretty, readable
from evergreen.sequences.views.sequences import sequence_context
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DashboardUser, DbId, OwnerUser, SessionDep
from evergreen.web.forms import Confirmation, FormPageDep, ask_first
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(prefix="/sequences", include_in_schema=False)
Text = Annotated[str, Query(max_length=320)]


def _edit_page(
    request: Request,
    session: Session,
    sequence_id: int,
    *,
    document: str = "",
    error: InputError | None = None,
) -> Response:
    found = queries.detail(session, sequence_id)
    if found is None:
        service.sequence_by_id(session, sequence_id)
    assert found is not None
    text = document or pretty(found.document)
    context: dict[str, Any] = {
        "title": f"Edit {found.card.name}",
        "card": found.card,
        "document": text,
        "lines": readable(text),
        "error": error,
    }
    return render(request, "sequences/edit.html", context, status_code=400 if error else 200)


@router.get("/{sequence_id:int}/edit")
def edit_page(
    request: Request, sequence_id: DbId, session: SessionDep, user: OwnerUser
) -> Response:
    """Owner only: the sequence's document to change, with each step in words beside it."""
    return _edit_page(request, session, sequence_id)


@router.post("/{sequence_id:int}/edit")
def save_edit(
    request: Request,
    sequence_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    document: DocStr = "",
) -> Response:
    """Owner only: save the steps (kept steps keep their ids) or show the refused path."""
    row = service.sequence_by_id(session, sequence_id)
    form.on_error(
        lambda error: _edit_page(request, session, sequence_id, document=document, error=error)
    )
    service.revise_sequence(session, row.name, document_of(document))
    return RedirectResponse(f"/sequences/{sequence_id}?done=saved", status_code=303)


def _with_error(
    request: Request, session: Session, sequence_id: int, error: InputError
) -> Response:
    context = sequence_context(session, sequence_id)
    context["people_error"] = error
    return render(request, "sequences/sequence.html", context, status_code=400)


@router.post("/{sequence_id:int}/enrol")
def enrol(
    request: Request,
    sequence_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    email: FormStr = "",
) -> Response:
    """Owner only: enrol one subscriber of the list by hand."""
    row = service.sequence_by_id(session, sequence_id)
    form.on_error(lambda error: _with_error(request, session, sequence_id, error))
    service.enrol_by_email(session, row.name, email)
    return RedirectResponse(f"/sequences/{sequence_id}?done=enrolled#people", status_code=303)


@router.post("/{sequence_id:int}/exit")
def exit_one(
    request: Request,
    sequence_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    email: FormStr = "",
    confirm: FormStr = "",
) -> Response:
    """Owner only: take one person out, after a confirmation (they cannot re-enter by trigger)."""
    row = service.sequence_by_id(session, sequence_id)
    step = Confirmation(
        title=f"Take {email.strip()[:80]} out of {row.name}?",
        consequence="Nothing more of this sequence is sent to them. Their trigger will not "
        "enrol them again; only enrolling them by hand would.",
        button="Take them out",
        cancel=f"/sequences/{sequence_id}#people",
        fields={"email": email},
    )
    if (asked := ask_first(request, confirm, step)) is not None:
        return asked
    form.on_error(lambda error: _with_error(request, session, sequence_id, error))
    service.exit_by_email(session, row.name, email)
    return RedirectResponse(f"/sequences/{sequence_id}?done=exited#people", status_code=303)


@router.get("/{sequence_id:int}/preview")
def preview_page(
    request: Request,
    sequence_id: DbId,
    session: SessionDep,
    user: DashboardUser,
    email: Text = "",
    days: Annotated[str, Query(max_length=4)] = "60",
    at: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """What one subscriber gets and when, in their time zone, or for an enrolment at `at`."""
    row = service.sequence_by_id(session, sequence_id)
    shown: Preview | None = None
    error: InputError | None = None
    if email.strip():
        try:
            if not is_digits(days.strip()) or not 1 <= int(days) <= MAX_DAYS:
                raise InputError("days", f"give a whole number of days, 1 to {MAX_DAYS}")
            when = instant(at) if at.strip() else None
            shown = preview(session, row.name, email, days=int(days), at=when)
        except InputError as exc:
            error = exc
    context = {
        "title": f"Preview {row.name}",
        "sequence_id": sequence_id,
        "name": row.name,
        "email": email,
        "days": days,
        "at": at,
        "shown": shown,
        "error": error,
    }
    return render(request, "sequences/preview.html", context, status_code=400 if error else 200)
