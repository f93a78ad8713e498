"""/sequences, /sequences/new and /sequences/{id}: the sequences, the form to add one (list by
name, trigger picker, steps document with each step in words beside it), and one sequence as a
timeline with its status, per-step numbers and enrolments. Staff read; the owner writes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from evergreen.audience import queries as audience_queries
from evergreen.errors import InputError
from evergreen.sequences import queries, service
from evergreen.sequences.views.forms import (
    ROW_KINDS,
    STARTER,
    TRIGGERS,
    UNITS,
    DocStr,
    FormStr,
    document_of,
    pretty,
    readable,
    trigger_of,
)
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DashboardUser, DbId, OwnerUser, PageNumber, SessionDep
from evergreen.web.forms import Confirmation, FormPageDep, ask_first
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(prefix="/sequences", include_in_schema=False)
Done = Annotated[str, Query(max_length=20)]
Status = Annotated[str, Query(max_length=10)]
_DONE = {
    "created": "Sequence added as a draft. Activate it to start.",
    "active": "Sequence active: its trigger enrols people and its steps run.",
    "paused": "Sequence paused: nothing is sent until it is activated again.",
    "saved": "Steps saved. People already past a step are not sent it again.",
    "enrolled": "Enrolled: the first step runs at the next tick.",
    "exited": "Taken out of the sequence: nothing more of it is sent to them.",
}
BLANK = {"name": "", "list": "", "trigger_kind": "joined_list", "trigger_value": ""}


@router.get("")
def sequences_page(
    request: Request, session: SessionDep, user: DashboardUser, done: Done = ""
) -> Response:
    """Every sequence with its status, list, trigger in words and enrolments."""
    context = {
        "title": "Sequences",
        "sequences": queries.sequences(session),
        "done": _DONE.get(done, ""),
    }
    return render(request, "sequences/list.html", context)


def _new_page(
    request: Request,
    session: Session,
    *,
    form: dict[str, str] | None = None,
    document: str = "",
    error: InputError | None = None,
) -> Response:
    text = document or pretty(STARTER)
    context: dict[str, Any] = {
        "title": "New sequence",
        "form": form or dict(BLANK),
        "document": text,
        "lines": readable(text),
        "lists": [name for _id, name in audience_queries.list_choices(session)],
        "triggers": TRIGGERS,
        "error": error,
    }
    return render(request, "sequences/new.html", context, status_code=400 if error else 200)


@router.get("/new")
def new_page(request: Request, session: SessionDep, user: OwnerUser) -> Response:
    """Owner only: the form to add a sequence, with a starter document to change."""
    return _new_page(request, session)


@router.post("/new")
def add_sequence(
    request: Request,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    name: FormStr = "",
    list_name: FormStr = "",
    trigger_kind: FormStr = "",
    trigger_value: FormStr = "",
    document: DocStr = "",
) -> Response:
    """Owner only: a new draft sequence, or the form again with the refused path marked."""
    entered = {"name": name, "list": list_name, "trigger_kind": trigger_kind,
               "trigger_value": trigger_value}  # fmt: skip
    form.on_error(
        lambda error: _new_page(request, session, form=entered, document=document, error=error)
    )
    if not list_name.strip():
        raise InputError("list", "choose the list it sends from")
    parsed = document_of(document)
    parsed["trigger"] = trigger_of(trigger_kind, trigger_value, list_name)
    row = service.add_sequence(session, name, list_name, parsed)
    return RedirectResponse(f"/sequences/{row.id}?done=created", status_code=303)


def sequence_context(
    session: Session, sequence_id: int, page: int = 1, status: str = ""
) -> dict[str, Any]:
    """What the sequence page shows (the edit and enrol forms reuse it with their error)."""
    found = queries.detail(session, sequence_id)
    if found is None:
        service.sequence_by_id(session, sequence_id)  # the 404 naming the id
    assert found is not None
    status = status if status in ("active", "finished", "exited") else ""
    return {
        "title": found.card.name,
        "detail": found,
        "card": found.card,
        "numbers": queries.analytics(session, sequence_id),
        "enrolments": queries.enrolments(session, sequence_id, page, status),
        "status_filter": status,
        "row_kinds": ROW_KINDS,
        "units": UNITS,
        "row": {},
    }


@router.get("/{sequence_id:int}")
def sequence_page(
    request: Request,
    sequence_id: DbId,
    session: SessionDep,
    user: DashboardUser,
    done: Done = "",
    page: PageNumber = 1,
    status: Status = "",
) -> Response:
    """One sequence: its steps as a timeline, status, numbers per step and enrolments."""
    context = sequence_context(session, sequence_id, page, status)
    context["done"] = _DONE.get(done, "")
    return render(request, "sequences/sequence.html", context)


@router.post("/{sequence_id:int}/status")
def set_status(
    request: Request,
    sequence_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    status: FormStr = "",
    confirm: FormStr = "",
) -> Response:
    """Owner only: pause at once; activate after a confirmation, since it starts sending."""
    row = service.sequence_by_id(session, sequence_id)
    if status == "active":
        counts = queries.sequences(session, row.id)[0].enrolments
        waiting = counts.get("active", 0)
        step = Confirmation(
            title=f"Activate the sequence {row.name}?",
            consequence="From now on its trigger enrols people and its steps send mail to "
            f"them in their own time. {waiting} enrolled people continue where they stand. "
            "Mail that has gone cannot be called back; you can pause it at any time.",
            button="Activate and start sending",
            cancel=f"/sequences/{sequence_id}",
            fields={"status": "active"},
        )
        if (asked := ask_first(request, confirm, step)) is not None:
            return asked
    service.set_status(session, row.name, status)
    return RedirectResponse(f"/sequences/{sequence_id}?done={status}", status_code=303)
