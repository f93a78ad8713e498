"""/api/v1/sequences/events: another system reports that something happened to a subscriber
(a purchase, a trial ending); sequences with that event as their trigger enrol them at the next
tick. Owner tokens only; one event per idempotency key, however often or concurrently posted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response
from pydantic import Field

from evergreen.sequences.service.events import record_event
from evergreen.web.bodies import RequestBody
from evergreen.web.deps import ApiOwner, SessionDep

__all__ = ["router", "routers"]

router = APIRouter(prefix="/sequences", tags=["sequences"])


class EventIn(RequestBody):
    """One event: whose (their address), what (its name), when, and the caller's key for it."""

    email: str = Field(max_length=1000, description="The subscriber's address.")
    name: str = Field(
        max_length=200, description='Letters, digits, _ . : -; "purchase:<product>" is a purchase.'
    )
    at: datetime | None = Field(None, description="When it happened (default: now).")
    idempotency_key: str = Field(
        max_length=1000, description="The same key again returns the stored event."
    )


@router.post("/events", status_code=201, operation_id="post_sequence_event")
def post_event(
    body: EventIn, response: Response, session: SessionDep, user: ApiOwner
) -> dict[str, Any]:
    """Owner only: store an event (201), or find the one stored under this key (200)."""
    card = record_event(session, body.email, body.name, body.idempotency_key, body.at)
    if not card.created:
        response.status_code = 200
    return card.show()


def routers() -> list[APIRouter]:
    """The routers this module adds to the API."""
    return [router]
