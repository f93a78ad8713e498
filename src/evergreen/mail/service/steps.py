"""Sequence messages: one mail message per Send step, sent person by person through the send log.

A sequence message is a `mail_messages` row of kind `sequence`, created `sending` from the
sequence's list (its unsubscribe link and footer are the list's) and never finished: the
sequences area queues ONE send row when a person's step is due, and the ordinary sender loop
(`send_due`) delivers it. The send log's unique (message, subscriber) makes a step go to a
person at most once, however many schedulers queue it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from evergreen.db import utcnow
from evergreen.mail.errors import MailInputError
from evergreen.mail.models import Broadcast, MailSend
from evergreen.mail.rules.render import TemplateFormat, compile_message

__all__ = ["create_step_message", "pin_webinar", "queue_one", "update_step_message"]


def create_step_message(
    session: Session, subject: str, body: str, list_id: int, fmt: TemplateFormat = "markdown"
) -> int:
    """Store a checked sequence message (kind `sequence`, status `sending`); returns its id."""
    if not subject.strip():
        raise MailInputError("subject", "is required")
    compile_message(subject, body, fmt, strict=True)  # a broken template is refused now
    now = utcnow()
    row = Broadcast(
        kind="sequence",
        subject=subject,
        body=body,
        format=fmt,
        list_id=list_id,
        status="sending",
        counts={},
        started_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return row.id


def queue_one(session: Session, message_id: int, subscriber_id: int, due: datetime) -> bool:
    """Queue the message for one person, due at `due`; False when they already have a row."""
    dialect = session.get_bind().dialect.name
    make_insert = postgres_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        make_insert(MailSend)
        .values(
            message_id=message_id,
            subscriber_id=subscriber_id,
            status="queued",
            attempts=0,
            next_attempt_at=due,
        )
        .on_conflict_do_nothing(index_elements=["message_id", "subscriber_id"])
        .returning(MailSend.id)
    )
    return session.execute(statement).first() is not None


def queue_many(
    session: Session, message_id: int, subscriber_ids: list[int], due: datetime
) -> set[int]:
    """Queue the message for these people, a statement per thousand; the people newly queued
    (those who had a row already are left as they were)."""
    dialect = session.get_bind().dialect.name
    make_insert = postgres_insert if dialect == "postgresql" else sqlite_insert
    queued: set[int] = set()
    for start in range(0, len(subscriber_ids), 1000):
        rows = [
            {"message_id": message_id, "subscriber_id": subscriber_id, "status": "queued",
             "attempts": 0, "next_attempt_at": due}
            for subscriber_id in subscriber_ids[start : start + 1000]
        ]  # fmt: skip
        statement = (
            make_insert(MailSend)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["message_id", "subscriber_id"])
            .returning(MailSend.subscriber_id)
        )
        queued.update(session.scalars(statement))
    return queued


def update_step_message(
    session: Session,
    message_id: int,
    subject: str,
    body: str,
    fmt: TemplateFormat = "markdown",
) -> None:
    """Change a sequence message's text (checked as a new one); sends not yet made use it."""
    row = session.get(Broadcast, message_id)
    if row is None or row.kind != "sequence":
        raise MailInputError("message_id", f"no sequence message {message_id}")
    if not subject.strip():
        raise MailInputError("subject", "is required")
    compile_message(subject, body, fmt, strict=True)
    row.subject, row.body, row.format, row.updated_at = subject, body, fmt, utcnow()
    session.flush()


def pin_webinar(session: Session, message_ids: list[int], webinar: str) -> None:
    """Make `{{ webinar.… }}` in these sequence messages read the person's registration for
    `webinar` ("": their latest registration, whichever webinar it is for)."""
    if message_ids:
        session.execute(
            update(Broadcast)
            .where(Broadcast.id.in_(message_ids), Broadcast.kind == "sequence")
            .values(webinar=webinar[:100])
        )
