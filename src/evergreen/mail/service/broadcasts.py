"""Broadcasts: write, schedule, send now, pause, resume, cancel; queueing the send log.

Queueing inserts one send row per subscribed member of the list with INSERT … SELECT, a chunk
of ids at a time, ON CONFLICT DO NOTHING on (message, subscriber): queueing twice adds nobody
twice. The audience is fixed when sending starts; people who join later are not added.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, literal, select, update
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from evergreen.audience import queries as audience
from evergreen.audience import service as audience_service
from evergreen.db import UTCDateTime, utcnow
from evergreen.errors import NotFound
from evergreen.mail.errors import MailInputError
from evergreen.mail.models import Broadcast, MailSend
from evergreen.mail.rules.broadcast_states import is_finished, step
from evergreen.mail.rules.render import TemplateFormat, compile_message

__all__ = [
    "QUEUE_CHUNK",
    "Draft",
    "act",
    "counts",
    "create_broadcast",
    "delete_broadcast",
    "edit_broadcast",
    "finish_if_done",
    "get_broadcast",
    "queue",
    "start_due",
    "summary",
]

QUEUE_CHUNK = 50_000


@dataclass(frozen=True)
class Draft:
    """A broadcast as written in a form, a JSON body or on the command line."""

    subject: str
    body: str
    list_id: int | None
    format: str = "markdown"
    segment: str = ""


def _checked(session: Session, draft: Draft) -> Draft:
    """Compile strictly (a typo is caught here, not at the millionth person) and check the list."""
    if draft.format not in ("markdown", "html"):
        raise MailInputError("format", "must be markdown or html")
    fmt: TemplateFormat = "html" if draft.format == "html" else "markdown"
    compile_message(draft.subject, draft.body, fmt, strict=False)
    if draft.segment.strip():
        raise MailInputError("segment", "segments are not available yet; send to a list")
    if draft.list_id is None:
        raise MailInputError("list_id", "choose the list to send to")
    try:
        audience_service.get_list(session, draft.list_id)
    except NotFound:  # a list named in the draft: the draft is wrong, not the address asked
        raise MailInputError("list_id", f"there is no list {draft.list_id}") from None
    return draft


def get_broadcast(session: Session, broadcast_id: int, *, lock: bool = False) -> Broadcast:
    """The broadcast with this id."""
    query = select(Broadcast).where(Broadcast.id == broadcast_id)
    found = session.scalar(query.with_for_update() if lock else query)
    if found is None:
        raise NotFound("broadcast_id", f"no broadcast {broadcast_id}")
    return found


def create_broadcast(session: Session, draft: Draft) -> Broadcast:
    """Store a new draft."""
    checked = _checked(session, draft)
    row = Broadcast(
        subject=checked.subject,
        body=checked.body,
        format=checked.format,
        list_id=checked.list_id,
        segment=checked.segment,
        status="draft",
        counts={},
    )
    session.add(row)
    session.flush()
    return row


def edit_broadcast(session: Session, broadcast_id: int, draft: Draft) -> Broadcast:
    """Change a draft's subject, body, format or list."""
    row = get_broadcast(session, broadcast_id, lock=True)
    step(row.status, "edit", now=utcnow())
    checked = _checked(session, draft)
    row.subject, row.body, row.format = checked.subject, checked.body, checked.format
    row.list_id, row.segment, row.updated_at = checked.list_id, checked.segment, utcnow()
    session.flush()
    return row


def delete_broadcast(session: Session, broadcast_id: int) -> None:
    """Delete a draft or a cancelled broadcast (with its send log)."""
    row = get_broadcast(session, broadcast_id, lock=True)
    step(row.status, "delete", now=utcnow())
    session.delete(row)
    session.flush()


def queue(session: Session, row: Broadcast, now: datetime, *, chunk: int = QUEUE_CHUNK) -> int:
    """Give every subscribed member of the list a send row (once); returns how many rows the
    broadcast has."""
    if row.list_id is None:
        raise MailInputError("list_id", "the broadcast's list was deleted; choose another")
    dialect = session.get_bind().dialect.name
    make_insert = postgres_insert if dialect == "postgresql" else sqlite_insert
    after = 0
    while True:
        ids = audience.subscribed_ids(row.list_id, after).limit(chunk).subquery()
        upper = session.scalar(select(func.max(ids.c.id)))
        if upper is None:
            break
        rows = select(
            literal(row.id),
            ids.c.id,
            literal("queued"),
            literal(0),
            literal(now, UTCDateTime()),
        ).where(ids.c.id <= upper)
        statement = make_insert(MailSend).from_select(
            ["message_id", "subscriber_id", "status", "attempts", "next_attempt_at"], rows
        )
        session.execute(statement.on_conflict_do_nothing())
        after = upper
    total = session.scalar(select(func.count()).where(MailSend.message_id == row.id)) or 0
    row.queued, row.recipients = True, total
    session.flush()
    return total


def counts(session: Session, broadcast_id: int) -> dict[str, int]:
    """How many send rows of the broadcast are in each status."""
    rows = session.execute(
        select(MailSend.status, func.count())
        .where(MailSend.message_id == broadcast_id)
        .group_by(MailSend.status)
    )
    return {status: number for status, number in rows}  # noqa: C416 (a Result is not a mapping)


def finish_if_done(session: Session, row: Broadcast, now: datetime) -> bool:
    """Mark a sending broadcast finished when every row is done; stores its counts."""
    found = counts(session, row.id)
    row.counts = found
    if row.status == "sending" and row.queued and is_finished(found):
        row.status, row.finished_at, row.updated_at = "finished", now, now
        session.flush()
        return True
    session.flush()
    return False


def act(
    session: Session,
    broadcast_id: int,
    action: str,
    *,
    now: datetime | None = None,
    scheduled_at: datetime | None = None,
    reason: str = "",
) -> Broadcast:
    """Schedule, unschedule, send now, pause, resume or cancel a broadcast."""
    now = now or utcnow()
    row = get_broadcast(session, broadcast_id, lock=True)
    done = step(row.status, action, now=now, scheduled_at=scheduled_at)
    if action == "schedule":
        _checked(session, Draft(row.subject, row.body, row.list_id, row.format, row.segment))
        row.scheduled_at = scheduled_at
    if done.queue:
        _checked(session, Draft(row.subject, row.body, row.list_id, row.format, row.segment))
        row.started_at = row.started_at or now
        if not row.queued:
            queue(session, row, now)
    if done.skip_open:
        session.execute(
            update(MailSend)
            .where(MailSend.message_id == row.id, MailSend.status.in_(("queued", "deferred")))
            .values(status="skipped", error="cancelled")
        )
    row.status, row.updated_at = done.state, now
    row.pause_reason = reason if done.state == "paused" else ""
    if done.state == "sending":
        finish_if_done(session, row, now)  # an empty list finishes at once
    else:
        row.counts = counts(session, row.id)
    session.flush()
    return row


def start_due(session: Session, now: datetime) -> list[int]:
    """Start every scheduled broadcast whose time has come; their ids."""
    due = list(
        session.scalars(
            select(Broadcast.id).where(
                Broadcast.status == "scheduled", Broadcast.scheduled_at <= now
            )
        )
    )
    for broadcast_id in due:
        act(session, broadcast_id, "send", now=now)
    return due


def summary(found: Mapping[str, int]) -> dict[str, int]:
    """The CLI's and API's short counts: sent, skipped, failed (bounced counts as failed)."""
    return {
        "sent": found.get("sent", 0),
        "skipped": found.get("skipped", 0),
        "failed": found.get("failed", 0) + found.get("bounced", 0),
    }
