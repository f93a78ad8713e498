"""/api/v1/sequences: list, create from a JSON document, read, activate or pause, edit while live,
enrolments (paged; one enrolled or taken out by hand), the per-step numbers and a preview for one
subscriber. Staff read; the owner writes. Refusals are 422 naming the path (`steps[3].seconds`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import Field

from evergreen.sequences import queries, service
from evergreen.sequences.preview import MAX_DAYS, instant, preview
from evergreen.web.bodies import RequestBody
from evergreen.web.deps import ApiOwner, ApiStaff, DbId, PageNumber, SessionDep

__all__ = ["router", "routers"]

router = APIRouter(prefix="/sequences", tags=["sequences"])
Email = Annotated[str, Field(min_length=1, max_length=320)]


class SequenceIn(RequestBody):
    """A new draft sequence: its name, the list it sends from, and {trigger, steps, messages}."""

    name: str = Field(max_length=100)
    list: str = Field(max_length=200, description="The audience list's name.")
    document: dict[str, Any] = Field(description="{trigger, steps, messages}: docs/SEQUENCES.md")


class DocumentIn(RequestBody):
    """The edited steps (ids of kept steps kept), and message texts to change or add."""

    document: dict[str, Any] = Field(description="{steps, messages[, trigger]}")


class StatusIn(RequestBody):
    """Start or stop a sequence."""

    status: Literal["active", "paused", "draft"]


class EmailIn(RequestBody):
    """One subscriber by address."""

    email: Email


def _name(session: SessionDep, sequence_id: int) -> str:
    return service.sequence_by_id(session, sequence_id).name


def _one(session: SessionDep, sequence_id: int) -> dict[str, Any]:
    found = queries.detail(session, sequence_id)
    if found is None:
        service.sequence_by_id(session, sequence_id)  # the 404 naming the id
    assert found is not None
    return found.show()


@router.get("", operation_id="list_sequences")
def get_sequences(session: SessionDep, user: ApiStaff) -> list[dict[str, Any]]:
    """Every sequence by name: status, list, trigger in words, enrolments by status."""
    return [card.show() for card in queries.sequences(session)]


@router.post("", status_code=201, operation_id="create_sequence")
def create(body: SequenceIn, session: SessionDep, user: ApiOwner) -> dict[str, Any]:
    """Owner only: a new draft sequence (activate it to start)."""
    row = service.add_sequence(session, body.name, body.list, body.document)
    return _one(session, row.id)


@router.get("/{sequence_id:int}", operation_id="get_sequence")
def get_one(sequence_id: DbId, session: SessionDep, user: ApiStaff) -> dict[str, Any]:
    """One sequence: status, its document with the messages' texts, its steps in words."""
    return _one(session, sequence_id)


@router.post("/{sequence_id:int}/status", operation_id="set_sequence_status")
def set_status(
    sequence_id: DbId, body: StatusIn, session: SessionDep, user: ApiOwner
) -> dict[str, Any]:
    """Owner only: activate (it starts enrolling and sending) or pause a sequence."""
    service.set_status(session, _name(session, sequence_id), body.status)
    return _one(session, sequence_id)


@router.put("/{sequence_id:int}/document", operation_id="edit_sequence")
def edit(
    sequence_id: DbId, body: DocumentIn, session: SessionDep, user: ApiOwner
) -> dict[str, Any]:
    """Owner only: change the steps of a sequence, live or not; kept steps keep their ids so
    people already past a step are not sent it again."""
    service.revise_sequence(session, _name(session, sequence_id), body.document)
    return _one(session, sequence_id)


@router.get("/{sequence_id:int}/enrolments", operation_id="sequence_enrolments")
def get_enrolments(
    sequence_id: DbId,
    session: SessionDep,
    user: ApiStaff,
    page: PageNumber = 1,
    status: Annotated[Literal["", "active", "finished", "exited"], Query()] = "",
) -> dict[str, Any]:
    """The sequence's enrolments, newest first, 50 a page: status, next step, due, exit reason."""
    service.sequence_by_id(session, sequence_id)
    found = queries.enrolments(session, sequence_id, page, status)
    return {
        "total": found.total,
        "page": found.page,
        "pages": found.pages,
        "enrolments": [row.show() for row in found.rows],
    }


@router.post("/{sequence_id:int}/enrolments", status_code=201, operation_id="enrol_in_sequence")
def enrol(sequence_id: DbId, body: EmailIn, session: SessionDep, user: ApiOwner) -> dict[str, Any]:
    """Owner only: enrol one subscriber of the sequence's list by hand, at its first step."""
    row = service.enrol_by_email(session, _name(session, sequence_id), body.email)
    found = queries.enrolment_line(session, row.id)
    assert found is not None
    return found.show()


@router.post("/{sequence_id:int}/enrolments/exit", operation_id="exit_from_sequence")
def exit_one(
    sequence_id: DbId, body: EmailIn, session: SessionDep, user: ApiOwner
) -> dict[str, Any]:
    """Owner only: take one person out of the sequence now; nothing more of it is sent."""
    row = service.exit_by_email(session, _name(session, sequence_id), body.email)
    return {"email": body.email.strip(), "status": row.status, "exit_reason": row.exit_reason}


@router.get("/{sequence_id:int}/analytics", operation_id="sequence_analytics")
def get_analytics(sequence_id: DbId, session: SessionDep, user: ApiStaff) -> dict[str, Any]:
    """Per step: entered, waiting, sent, clicked, unsubscribed, conversions, goal exits; totals."""
    service.sequence_by_id(session, sequence_id)
    return queries.analytics(session, sequence_id)


@router.get("/{sequence_id:int}/preview", operation_id="preview_sequence")
def get_preview(
    sequence_id: DbId,
    session: SessionDep,
    user: ApiStaff,
    email: Annotated[str, Query(min_length=1, max_length=320)],
    days: Annotated[int, Query(ge=1, le=MAX_DAYS)] = 60,
    at: Annotated[
        str, Query(max_length=64, description="Simulate an enrolment at (ISO 8601).")
    ] = "",
) -> dict[str, Any]:
    """What this subscriber gets and when, in their time zone: from where they stand, or from
    a simulated enrolment at `at`."""
    name = _name(session, sequence_id)
    when = instant(at) if at.strip() else None
    return preview(session, name, email, days=days, at=when).show()


def routers() -> list[APIRouter]:
    """The area's API routers."""
    return [router]
