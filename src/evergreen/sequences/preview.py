"""What one subscriber will get from a sequence, and when, in their own time zone (reads only).

Without `at`: from where their enrolment stands now (or from now, when they are not enrolled);
with `at`: a simulated enrolment at that instant. What the engine knows of them then (tags,
fields, clicks, purchases, webinar sessions, API events: `service.facts.load_facts`) and their
zone feed the pure `rules.preview.timeline`; nothing is stored or sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.audience import queries as audience_queries
from evergreen.db import utcnow
from evergreen.errors import NotFound
from evergreen.mail import queries as mail_queries
from evergreen.sequences.errors import SequenceInputError
from evergreen.sequences.models import Enrolment
from evergreen.sequences.rules import (
    in_range,
    parse_position,
    parse_program,
    timeline,
    zone_for,
)
from evergreen.sequences.rules.words import outcome_words
from evergreen.sequences.service import get_sequence
from evergreen.sequences.service.facts import load_facts
from evergreen.sequences.service.sequences import message_ids

__all__ = ["MAX_DAYS", "Preview", "instant", "preview"]

MAX_DAYS = 366


def instant(text: str, field: str = "at") -> datetime:
    """An ISO 8601 instant in UTC (one without an offset is read as UTC), in the years every
    computed date fits (`rules.in_range`), or a refusal naming `field`."""
    try:
        found = datetime.fromisoformat(text.strip())
    except ValueError:
        raise SequenceInputError(
            field, f"{text[:40]!r} is not an ISO 8601 time, e.g. 2026-12-07T14:00:00Z"
        ) from None
    return in_range(found if found.tzinfo is not None else found.replace(tzinfo=UTC), field)


@dataclass(frozen=True)
class Preview:
    """The timeline for one person: from when, in which zone, and each planned outcome."""

    sequence: str
    email: str
    zone: str
    start: datetime
    simulated: bool
    enrolment: str  # "active", "finished", "exited", or "" when not enrolled
    items: list[dict[str, Any]]

    def show(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "sequence": self.sequence,
            "email": self.email,
            "time_zone": self.zone,
            "from": self.start.isoformat(),
            "simulated": self.simulated,
            "enrolment": self.enrolment,
            "timeline": self.items,
        }


def _subjects(session: Session, refs: dict[str, int]) -> dict[str, str]:
    texts = mail_queries.step_messages(session, list(refs.values()))
    return {ref: texts[i].subject for ref, i in refs.items() if i in texts}


def preview(
    session: Session,
    name: str,
    email: str,
    *,
    days: int = 60,
    at: datetime | None = None,
    now: datetime | None = None,
) -> Preview:
    """The next `days` of the sequence for this subscriber (simulated from `at` when given)."""
    if not 1 <= days <= MAX_DAYS:
        raise SequenceInputError("days", f"must be 1 to {MAX_DAYS}")
    if at is not None:
        at = in_range(at, "at")
    sequence = get_sequence(session, name)
    card = audience_queries.find_by_email(session, email[:320])
    if card is None:
        raise NotFound("email", f"no subscriber {email.strip()[:80]!r}")
    program = parse_program(sequence.program)
    local = zone_for(card.time_zone, "UTC")
    zone = str(local.key)
    row = session.scalar(
        select(Enrolment).where(
            Enrolment.sequence_id == sequence.id, Enrolment.subscriber_id == card.id
        )
    )
    start, position = (at or now or utcnow()).astimezone(UTC), None
    if at is None and row is not None:
        if row.status != "active":
            items: list[dict[str, Any]] = []
            return Preview(sequence.name, card.email, zone, start, False, row.status, items)
        position = parse_position(row.position)
    refs = message_ids(session, sequence.id)
    facts = load_facts(session, card.id, card.fields, refs, start)
    planned = timeline(program, facts, start, card.time_zone, days=days, position=position)
    subjects = _subjects(session, refs)
    items = [
        {
            "at": each.at.astimezone(UTC).isoformat(),
            "local": each.at.astimezone(local).strftime("%a %d %b %Y, %H:%M"),
            "do": each.next.do.value,
            "step_id": each.next.step.id if each.next.step is not None else None,
            "words": outcome_words(each.next, subjects),
        }
        for each in planned
    ]
    status = "" if row is None else row.status
    return Preview(sequence.name, card.email, zone, start, at is not None, status, items)
