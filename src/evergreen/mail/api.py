"""/api/v1/mail/broadcasts: write a draft, read it with its numbers, schedule or send it now,
pause, resume and cancel. Staff read; the owner writes and sends."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi import Path as PathParam
from pydantic import Field

from evergreen.errors import NotFound
from evergreen.mail import queries, service
from evergreen.mail.models import Broadcast
from evergreen.web.bodies import RequestBody
from evergreen.web.deps import MAX_ID, ApiOwner, ApiStaff, DbId, Offset, SessionDep

__all__ = ["router", "routers"]

router = APIRouter(prefix="/mail/broadcasts", tags=["mail"])
BroadcastAction = Literal["schedule", "unschedule", "send", "pause", "resume", "cancel"]
_LONG = 500_000


_SEGMENT = (
    "A saved segment, by id or exact name, narrowing the list to its subscribed members who "
    "match the segment when sending starts; null: the whole list."
)
SegmentRef = Annotated[
    Annotated[int, Field(ge=1, le=MAX_ID)] | Annotated[str, Field(max_length=100)] | None,
    Field(description=_SEGMENT),
]


class BroadcastIn(RequestBody):
    """A broadcast's draft: its list (and optional segment of it), subject and body
    (templates), and the body's format."""

    list_id: int = Field(ge=1, le=MAX_ID)
    segment: SegmentRef = None
    subject: str = Field(max_length=998)
    body: str = Field(max_length=_LONG)
    format: Literal["markdown", "html"] = "markdown"


class BroadcastPatch(RequestBody):
    """What to change of a draft; what is left out stays (`segment: null` removes it)."""

    list_id: int | None = Field(None, ge=1, le=MAX_ID)
    segment: SegmentRef = None
    subject: str | None = Field(None, max_length=998)
    body: str | None = Field(None, max_length=_LONG)
    format: Literal["markdown", "html"] | None = None


class ActionIn(RequestBody):
    """When to send (schedule only, an aware time) and why it pauses (pause only)."""

    scheduled_at: datetime | None = None
    reason: str = Field("", max_length=500)


def _one(session: SessionDep, broadcast_id: int) -> dict[str, Any]:
    card = queries.broadcast_card(session, broadcast_id)
    if card is None:  # missing, or a sequence's step message (the same ids): no broadcast
        raise NotFound("broadcast_id", f"no broadcast {broadcast_id}")
    reach = None  # before sending: how many it would be queued for now (None: cannot be sent)
    deleted_segment = bool(card.segment) and card.segment_id is None
    if card.status in ("draft", "scheduled") and card.list_id is not None and not deleted_segment:
        reach = service.recipients_now(session, card.list_id, card.segment_id)
    return {
        **card.to_dict(),
        "recipients_now": reach,
        "stats": queries.stats(session, broadcast_id).to_dict(),
    }


def _kept_segment(row: Broadcast) -> int | str | None:
    """The draft's segment left as it is: a deleted one by its name, refused, not dropped."""
    return row.segment_id if row.segment_id is not None else (row.segment or None)


@router.get("", operation_id="list_mail_broadcasts")
def get_broadcasts(
    session: SessionDep,
    user: ApiStaff,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> list[dict[str, Any]]:
    """Broadcasts, newest first, with their send log counted by status."""
    return [row.to_dict() for row in queries.broadcasts(session, limit=limit, offset=offset)]


@router.post("", status_code=201, operation_id="create_mail_broadcast")
def create(body: BroadcastIn, session: SessionDep, user: ApiOwner) -> dict[str, Any]:
    """Owner only: a new draft (the template is checked now, not at the first recipient); an
    unknown segment is a 422 naming `segment`."""
    draft = service.Draft(body.subject, body.body, body.list_id, body.format, body.segment)
    return _one(session, service.create_broadcast(session, draft).id)


@router.get("/{broadcast_id}", operation_id="get_mail_broadcast")
def get_one(broadcast_id: DbId, session: SessionDep, user: ApiStaff) -> dict[str, Any]:
    """One broadcast with its counts and what became of it: opens, proxy opens, clicks."""
    return _one(session, broadcast_id)


@router.patch("/{broadcast_id}", operation_id="update_mail_broadcast")
def update(
    broadcast_id: DbId, body: BroadcastPatch, session: SessionDep, user: ApiOwner
) -> dict[str, Any]:
    """Owner only: change a draft's list, segment, subject, body or format."""
    row = service.get_broadcast(session, broadcast_id)
    draft = service.Draft(
        row.subject if body.subject is None else body.subject,
        row.body if body.body is None else body.body,
        row.list_id if body.list_id is None else body.list_id,
        row.format if body.format is None else body.format,
        body.segment if "segment" in body.model_fields_set else _kept_segment(row),
    )
    service.edit_broadcast(session, broadcast_id, draft)
    return _one(session, broadcast_id)


@router.post("/{broadcast_id}/{action}", operation_id="act_on_mail_broadcast")
def act(
    broadcast_id: DbId,
    action: Annotated[BroadcastAction, PathParam(description="What to do now.")],
    session: SessionDep,
    user: ApiOwner,
    body: ActionIn | None = None,
) -> dict[str, Any]:
    """Owner only: schedule (with `scheduled_at`), unschedule, send now, pause, resume or
    cancel (people not yet sent to are skipped)."""
    given = body or ActionIn()
    service.act(session, broadcast_id, action, scheduled_at=given.scheduled_at, reason=given.reason)
    return _one(session, broadcast_id)


def routers() -> list[APIRouter]:
    """The area's API routers."""
    return [router]
