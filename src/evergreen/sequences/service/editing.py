"""Changing a sequence people are in: its steps and texts, and one person in or out by hand.

An edit goes through `rules.program.revise`: kept steps keep their ids, so nobody is sent a step
again, and a removed step's waiting enrolments continue at the first later step that survived.
A message text changed here is what every send not yet made uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.audience import queries as audience_queries
from evergreen.db import utcnow
from evergreen.errors import Conflict, InputError, NotFound
from evergreen.mail import service as mail
from evergreen.sequences.errors import SequenceInputError
from evergreen.sequences.models import Enrolment, Sequence, SequenceMessage
from evergreen.sequences.rules import (
    Send,
    dump_program,
    dump_trigger,
    parse_program,
    parse_step,
    parse_trigger,
    revise,
)
from evergreen.sequences.service.scheduler import enroll
from evergreen.sequences.service.sequences import (
    _message,
    get_sequence,
    message_ids,
    pin_webinar,
)

__all__ = ["enrol_by_email", "exit_by_email", "revise_sequence", "sequence_by_id"]

MAX_DOCUMENT_STEPS = 1000  # refused before parsing; the program's own limit is lower


def sequence_by_id(session: Session, sequence_id: int) -> Sequence:
    """The sequence with this id."""
    found = session.get(Sequence, sequence_id)
    if found is None:
        raise NotFound("sequence_id", f"no sequence {sequence_id}")
    return found


def _steps(document: object) -> list[Any]:
    """The edit document's step list, its shape checked."""
    if not isinstance(document, Mapping):
        raise SequenceInputError("document", "must be an object with steps and messages")
    extra = sorted(set(document) - {"steps", "messages", "trigger"})
    if extra:
        raise SequenceInputError(extra[0], "is not a known key")
    raw = document.get("steps")
    if not isinstance(raw, list):
        raise SequenceInputError("steps", "must be a list of steps")
    if len(raw) > MAX_DOCUMENT_STEPS:
        raise SequenceInputError("steps", f"at most {MAX_DOCUMENT_STEPS} steps")
    return raw


def _store_message(
    session: Session, row: Sequence, ref: str, raw: object, known: dict[str, int]
) -> None:
    """Create the message a new Send step names, or change the text of a known one."""
    subject, body, fmt = _message(ref, raw)
    try:
        if ref in known:
            mail.update_step_message(session, known[ref], subject, body, fmt)
        else:
            if row.list_id is None:
                raise SequenceInputError("list", "the sequence's list was deleted")
            message_id = mail.create_step_message(session, subject, body, row.list_id, fmt)
            session.add(SequenceMessage(sequence_id=row.id, ref=ref, message_id=message_id))
            known[ref] = message_id
    except SequenceInputError:
        raise
    except InputError as exc:
        raise SequenceInputError(f"messages.{ref}.{exc.field}", exc.message) from None


def revise_sequence(session: Session, name: str, document: Mapping[str, Any]) -> Sequence:
    """Replace a sequence's steps (ids kept, see revise), change or add message texts, and
    change the trigger when the document has one."""
    row = get_sequence(session, name, lock=True)
    raw = _steps(document)
    steps = [parse_step(value, f"steps[{index}]") for index, value in enumerate(raw)]
    program = revise(parse_program(row.program), steps)
    messages = document.get("messages") or {}
    if not isinstance(messages, Mapping):
        raise SequenceInputError("messages", "must map message references to messages")
    known = message_ids(session, row.id)
    named = {step.message_ref for step in program.steps if isinstance(step, Send)}
    for index, step in enumerate(program.steps):
        if isinstance(step, Send) and step.message_ref not in set(known) | set(messages):
            raise SequenceInputError(
                f"steps[{index}].message", f"{step.message_ref!r} is not one of messages"
            )
    for ref, value in messages.items():
        if ref in known or ref in named:  # a message no step names is not stored (as on add)
            _store_message(session, row, ref, value, known)
    if "trigger" in document:
        row.trigger = dump_trigger(parse_trigger(document["trigger"]))
    row.program, row.updated_at = dump_program(program), utcnow()
    session.flush()
    pin_webinar(session, row)
    return row


def _subscriber(session: Session, email: str) -> int:
    """The id of the subscriber with this address."""
    found = audience_queries.find_by_email(session, email[:320])
    if found is None:
        raise NotFound("email", f"no subscriber {email.strip()[:80]!r}")
    return found.id


def enrol_by_email(
    session: Session, name: str, email: str, now: datetime | None = None
) -> Enrolment:
    """Enrol one subscriber of the sequence's list by hand, at its first step, due now."""
    row = get_sequence(session, name)
    person = _subscriber(session, email)
    if row.list_id is None or not audience_queries.recipients(session, row.list_id, [person]):
        raise SequenceInputError("email", "is not subscribed to the sequence's list")
    if not enroll(session, row, person, now or utcnow()):
        raise Conflict("email", "is enrolled in this sequence already")
    found = session.scalar(
        select(Enrolment).where(Enrolment.sequence_id == row.id, Enrolment.subscriber_id == person)
    )
    assert found is not None
    return found


def exit_by_email(
    session: Session, name: str, email: str, reason: str = "removed by hand"
) -> Enrolment:
    """Take one person out of a sequence now: nothing more of it is sent to them."""
    row = get_sequence(session, name)
    person = _subscriber(session, email)
    found = session.scalar(
        select(Enrolment)
        .where(Enrolment.sequence_id == row.id, Enrolment.subscriber_id == person)
        .with_for_update()
    )
    if found is None:
        raise NotFound("email", "is not enrolled in this sequence")
    if found.status != "active":
        raise Conflict("email", f"has left this sequence already ({found.status})")
    found.status, found.exit_reason, found.due_at = "exited", reason[:200], None
    found.claimed_by, found.claimed_until, found.updated_at = "", None, utcnow()
    session.flush()
    return found
