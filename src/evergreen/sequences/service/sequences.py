"""Storing sequences: a checked program and trigger, one mail message per Send step, status.

A sequence is added from one JSON document: `{"trigger": {…}, "steps": [...], "messages":
{ref: {"subject": …, "body": …, "format": "markdown"}}}`; every Send step's `message` names an
entry of `messages`, stored as a mail message of kind `sequence` from the sequence's list.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.audience import service as audience
from evergreen.db import utcnow, write_unless_taken
from evergreen.errors import Conflict, InputError, NotFound
from evergreen.mail import service as mail
from evergreen.sequences.errors import SequenceInputError
from evergreen.sequences.models import Sequence, SequenceMessage
from evergreen.sequences.rules import (
    Send,
    dump_program,
    dump_trigger,
    parse_program,
    parse_trigger,
    webinar_in_view,
)

__all__ = ["STATUSES", "add_sequence", "get_sequence", "message_ids", "pin_webinar", "set_status"]

STATUSES = ("draft", "active", "paused")


def _name(name: str) -> str:
    """A sequence name: 1 to 100 characters, trimmed."""
    checked = name.strip()
    if not checked or len(checked) > 100:
        raise SequenceInputError("name", "must be 1 to 100 characters")
    return checked


def get_sequence(session: Session, name: str, *, lock: bool = False) -> Sequence:
    """The sequence with this name; `lock`: locked until the unit of work ends and read again
    (a caller's copy of it may predate another edit that committed meanwhile)."""
    query = select(Sequence).where(Sequence.name == name.strip())
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    found = session.scalar(query)
    if found is None:
        raise NotFound("name", f"no sequence named {name.strip()!r}")
    return found


def _message(ref: str, raw: object) -> tuple[str, str, Literal["markdown", "html"]]:
    """One message of the document: subject, body, format."""
    path = f"messages.{ref}"
    if not isinstance(raw, Mapping):
        raise SequenceInputError(path, "must be an object with subject and body")
    subject, body, fmt = raw.get("subject"), raw.get("body"), raw.get("format", "markdown")
    if not isinstance(subject, str) or not subject.strip():
        raise SequenceInputError(f"{path}.subject", "is required")
    if not isinstance(body, str) or not body.strip():
        raise SequenceInputError(f"{path}.body", "is required")
    if fmt not in ("markdown", "html"):
        raise SequenceInputError(f"{path}.format", "must be markdown or html")
    return subject, body, "html" if fmt == "html" else "markdown"


def add_sequence(
    session: Session, name: str, list_name: str, document: Mapping[str, Any]
) -> Sequence:
    """Store a new draft sequence sending from `list_name`, with its step messages."""
    checked = _name(name)
    if _name_taken(session, checked):  # before the document's errors, as it always was
        raise _exists(checked)
    if not isinstance(document, Mapping):
        raise SequenceInputError("document", "must be an object with trigger, steps, messages")
    extra = sorted(set(document) - {"trigger", "steps", "messages", "next_id", "moved"})
    if extra:
        raise SequenceInputError(extra[0], "is not a known key")
    trigger = parse_trigger(document.get("trigger"))
    program = parse_program(
        {k: document[k] for k in ("steps", "next_id", "moved") if k in document}
    )
    messages = document.get("messages") or {}
    if not isinstance(messages, Mapping):
        raise SequenceInputError("messages", "must map message references to messages")
    the_list = audience.list_named(session, list_name)
    row = Sequence(
        name=checked,
        list_id=the_list.id,
        trigger=dump_trigger(trigger),
        program=dump_program(program),
        status="draft",
    )
    # The same name may be added twice at the same moment.
    if not write_unless_taken(
        session, lambda: session.add(row), lambda: _name_taken(session, checked)
    ):
        raise _exists(checked)
    made: set[str] = set()
    for index, step in enumerate(program.steps):
        if not isinstance(step, Send) or step.message_ref in made:
            continue
        if step.message_ref not in messages:
            raise SequenceInputError(
                f"steps[{index}].message", f"{step.message_ref!r} is not one of messages"
            )
        subject, body, fmt = _message(step.message_ref, messages[step.message_ref])
        try:
            message_id = mail.create_step_message(session, subject, body, the_list.id, fmt)
        except InputError as exc:  # a broken template: named by the message it is in
            raise SequenceInputError(
                f"messages.{step.message_ref}.{exc.field}", exc.message
            ) from None
        session.add(
            SequenceMessage(sequence_id=row.id, ref=step.message_ref, message_id=message_id)
        )
        made.add(step.message_ref)
    session.flush()
    pin_webinar(session, row)
    return row


def _name_taken(session: Session, name: str) -> bool:
    return session.scalar(select(Sequence.id).where(Sequence.name == name)) is not None


def _exists(name: str) -> Conflict:
    return Conflict("name", f"a sequence named {name!r} exists already")


def pin_webinar(session: Session, row: Sequence) -> None:
    """Point the sequence's messages at the webinar it is about (rules.webinar_in_view)."""
    webinar = webinar_in_view(parse_trigger(row.trigger), parse_program(row.program))
    mail.pin_webinar(session, list(message_ids(session, row.id).values()), webinar)


def set_status(session: Session, name: str, status: str, now: datetime | None = None) -> Sequence:
    """Activate, pause or return a sequence to draft; activating starts its trigger's clock."""
    if status not in STATUSES:
        raise SequenceInputError("status", "must be draft, active or paused")
    row = get_sequence(session, name, lock=True)
    now = now or utcnow()
    if status == "active" and row.activated_at is None:
        row.activated_at = now
    row.status, row.updated_at = status, now
    session.flush()
    return row


def message_ids(session: Session, sequence_id: int) -> dict[str, int]:
    """The mail message id of each message reference of the sequence."""
    rows = session.execute(
        select(SequenceMessage.ref, SequenceMessage.message_id).where(
            SequenceMessage.sequence_id == sequence_id
        )
    )
    return {ref: message_id for ref, message_id in rows}  # noqa: C416
