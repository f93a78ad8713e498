"""API events: a named thing that happened to a subscriber ("purchase:course", "trial_ended"),
posted by another system, stored once per idempotency key.

A stored event enrols the person in every active sequence whose trigger is that event
(`api_event`), at the next tick; `purchase` and `purchase:<product>` also count as a purchase
(the bought trigger and the purchased condition), and every event is a fact a relative wait can
count from (`WaitRelative(event="trial_ended", offset=…)`). Posting the same key again returns
the stored event (nothing new); the same key for a different person or name is a conflict.
Concurrent posts of one key store one row (the unique key decides, on both databases).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from evergreen.audience import queries as audience_queries
from evergreen.db import utcnow
from evergreen.errors import Conflict
from evergreen.sequences.errors import SequenceInputError
from evergreen.sequences.models import SequenceEvent
from evergreen.sequences.rules.actions import check_event_name
from evergreen.sequences.rules.timing import in_range

__all__ = ["EventCard", "record_event"]

MAX_KEY = 200


@dataclass(frozen=True)
class EventCard:
    """A stored event as the API and CLI show it; `created`: stored by this call."""

    id: int
    email: str
    name: str
    at: datetime
    idempotency_key: str
    created: bool

    def show(self) -> dict[str, Any]:
        """The JSON form (the instant in ISO 8601 UTC)."""
        return {
            "id": self.id,
            "email": self.email,
            "name": self.name,
            "at": self.at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "idempotency_key": self.idempotency_key,
            "created": self.created,
        }


def _key(value: object) -> str:
    """An idempotency key: 1 to 200 printable characters."""
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > MAX_KEY:
        raise SequenceInputError("idempotency_key", f"must be 1 to {MAX_KEY} characters")
    if not value.strip().isprintable():
        raise SequenceInputError("idempotency_key", "must be printable characters")
    return value.strip()


def record_event(
    session: Session,
    email: str,
    name: str,
    key: str,
    at: datetime | None = None,
    now: datetime | None = None,
) -> EventCard:
    """Store one event about the subscriber with this address (once per key)."""
    checked_name = check_event_name(name)
    checked_key = _key(key)
    if not isinstance(email, str) or not email.strip():
        raise SequenceInputError("email", "is required")
    person = audience_queries.find_by_email(session, email.strip()[:320])
    if person is None:
        raise SequenceInputError("email", "no subscriber has this address")
    now = (now or utcnow()).astimezone(UTC)
    if at is not None and at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    when = now if at is None else in_range(at, "at")
    dialect = session.get_bind().dialect.name
    make_insert = postgres_insert if dialect == "postgresql" else sqlite_insert
    inserted = session.execute(
        make_insert(SequenceEvent)
        .values(
            subscriber_id=person.id,
            name=checked_name,
            at=when,
            idempotency_key=checked_key,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(SequenceEvent.id)
    ).first()
    row = session.scalar(select(SequenceEvent).where(SequenceEvent.idempotency_key == checked_key))
    assert row is not None  # inserted now, or by the call that took the key first
    if inserted is None and (row.subscriber_id != person.id or row.name != checked_name):
        raise Conflict("idempotency_key", "was used for another event")
    created = inserted is not None
    return EventCard(row.id, person.email, row.name, row.at, row.idempotency_key, created)
