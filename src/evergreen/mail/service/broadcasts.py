"""Broadcasts: write, schedule, send now, pause, resume, cancel; queueing the send log.

A broadcast is always sent from a list (its unsubscribe link, footer and consent are the
list's); an optional saved segment narrows it to the list's subscribed members who match the
segment. Nobody outside the list's subscribed, unsuppressed members is ever queued, whatever the
segment says.

Queueing inserts one send row per recipient with INSERT … SELECT (the segment, evaluated as of
the moment queueing starts, is a condition of that SELECT), a chunk of ids at a time, ON CONFLICT
DO NOTHING on (message, subscriber): queueing twice adds nobody twice. The audience is fixed when
sending starts: people who join the list or come to match the segment later are not added, and
changing or deleting the segment afterwards neither adds nor drops anyone.
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
from evergreen.db import ANALYZE_FROM, UTCDateTime, analyze, utcnow
from evergreen.errors import NotFound
from evergreen.mail.errors import MailInputError
from evergreen.mail.models import Broadcast, MailSend
from evergreen.mail.rules.broadcast_states import is_finished, step
from evergreen.mail.rules.render import TemplateFormat, compile_message
from evergreen.mail.service import tally
from evergreen.mail.service.tally import counts

__all__ = [
    "QUEUE_CHUNK",
    "Draft",
    "act",
    "check_broadcast",
    "counts",
    "create_broadcast",
    "delete_broadcast",
    "edit_broadcast",
    "find_segment",
    "finish_if_done",
    "get_broadcast",
    "get_message",
    "queue",
    "recipients_now",
    "recount",
    "start_due",
    "summary",
]

QUEUE_CHUNK = 50_000


@dataclass(frozen=True)
class Draft:
    """A broadcast as written in a form, a JSON body or on the command line; `segment` is a
    saved segment's id or name (None or blank: the whole list)."""

    subject: str
    body: str
    list_id: int | None
    format: str = "markdown"
    segment: int | str | None = None


@dataclass(frozen=True)
class _Checked:
    draft: Draft
    segment_id: int | None
    segment_name: str


def find_segment(session: Session, ref: int | str | None) -> audience.SegmentInfo | None:
    """The saved segment a draft names by id or name (None: no segment), or a refusal naming
    the field `segment`."""
    if ref is None or (isinstance(ref, str) and not ref.strip()):
        return None
    found = audience.find_segment(session, ref)
    if found is None:
        shown = ref if isinstance(ref, int) else f"named {ref.strip()[:100]!r}"
        raise MailInputError("segment", f"there is no saved segment {shown}")
    return found


def _checked(session: Session, draft: Draft) -> _Checked:
    """Compile strictly (a typo is caught here, not at the millionth person); check the list
    and the segment."""
    if draft.format not in ("markdown", "html"):
        raise MailInputError("format", "must be markdown or html")
    fmt: TemplateFormat = "html" if draft.format == "html" else "markdown"
    compile_message(draft.subject, draft.body, fmt, strict=False)
    if draft.list_id is None:
        raise MailInputError("list_id", "choose the list to send to")
    try:
        audience_service.get_list(session, draft.list_id)
    except NotFound:  # a list named in the draft: the draft is wrong, not the address asked
        raise MailInputError("list_id", f"there is no list {draft.list_id}") from None
    segment = find_segment(session, draft.segment)
    return _Checked(draft, segment.id if segment else None, segment.name if segment else "")


def _as_draft(row: Broadcast) -> Draft:
    """A stored broadcast as a draft to check again; a deleted segment is refused, never
    widened to the whole list."""
    if row.segment and row.segment_id is None:
        raise MailInputError(
            "segment", f"the segment {row.segment[:100]!r} was deleted; choose another or none"
        )
    return Draft(row.subject, row.body, row.list_id, row.format, row.segment_id)


def check_broadcast(session: Session, broadcast_id: int) -> None:
    """Refuse now what sending would refuse: a template, list or segment no longer valid."""
    _checked(session, _as_draft(get_broadcast(session, broadcast_id)))


def recipients_now(session: Session, list_id: int, segment_id: int | None = None) -> int:
    """How many people a broadcast to this list (and segment) would be queued for now: the
    number shown before sending, counted by the rule queueing uses."""
    return audience.count_subscribed(session, list_id, segment_id=segment_id)


def get_broadcast(session: Session, broadcast_id: int, *, lock: bool = False) -> Broadcast:
    """The broadcast with this id (locked: read afresh, its kept counts as committed); a
    sequence's step message shares the ids but is no broadcast: not found, never acted on."""
    found = get_message(session, broadcast_id, lock=lock)
    if found.kind != "broadcast":
        raise NotFound("broadcast_id", f"no broadcast {broadcast_id}")
    return found


def get_message(session: Session, message_id: int, *, lock: bool = False) -> Broadcast:
    """A broadcast or a sequence's step message, for the sender loop that delivers both."""
    query = select(Broadcast).where(Broadcast.id == message_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    found = session.scalar(query)
    if found is None:
        raise NotFound("broadcast_id", f"no broadcast {message_id}")
    return found


def create_broadcast(session: Session, draft: Draft) -> Broadcast:
    """Store a new draft."""
    checked = _checked(session, draft)
    row = Broadcast(
        subject=draft.subject,
        body=draft.body,
        format=draft.format,
        list_id=draft.list_id,
        segment=checked.segment_name,
        segment_id=checked.segment_id,
        status="draft",
        counts={},
    )
    session.add(row)
    session.flush()
    return row


def edit_broadcast(session: Session, broadcast_id: int, draft: Draft) -> Broadcast:
    """Change a draft's subject, body, format, list or segment."""
    row = get_broadcast(session, broadcast_id, lock=True)
    step(row.status, "edit", now=utcnow())
    checked = _checked(session, draft)
    row.subject, row.body, row.format = draft.subject, draft.body, draft.format
    row.list_id, row.updated_at = draft.list_id, utcnow()
    row.segment, row.segment_id = checked.segment_name, checked.segment_id
    session.flush()
    return row


def delete_broadcast(session: Session, broadcast_id: int) -> None:
    """Delete a draft or a cancelled broadcast (with its send log)."""
    row = get_broadcast(session, broadcast_id, lock=True)
    step(row.status, "delete", now=utcnow())
    session.delete(row)
    session.flush()


def queue(session: Session, row: Broadcast, now: datetime, *, chunk: int = QUEUE_CHUNK) -> int:
    """Give every subscribed member of the list (in the segment, as of `now`) a send row
    (once); returns how many rows the broadcast has."""
    if row.list_id is None:
        raise MailInputError("list_id", "the broadcast's list was deleted; choose another")
    _as_draft(row)  # a deleted segment stops here
    within = None
    if row.segment_id is not None:
        within = audience.segment_condition(session, row.segment_id, now=now)
    dialect = session.get_bind().dialect.name
    make_insert = postgres_insert if dialect == "postgresql" else sqlite_insert
    after = 0
    while True:
        ids = audience.subscribed_ids(row.list_id, after, within=within).limit(chunk).subquery()
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
    if total >= ANALYZE_FROM:  # the senders read these tables batch by batch
        analyze(session, *audience.MEMBER_TABLES, MailSend.__tablename__)
    return total


def recount(session: Session, broadcast_id: int) -> dict[str, int]:
    """Put the broadcast's kept counts back to its send log's (reads every row); the counts."""
    found = tally.recount(session, broadcast_id)
    get_message(session, broadcast_id).counts = found
    session.flush()
    return found


def finish_if_done(session: Session, row: Broadcast, now: datetime) -> bool:
    """Mark a sending broadcast finished when no row is open (an index seek, so the sender may
    ask after every batch); its counts are then recounted from the send log, once."""
    if row.status != "sending" or not row.queued or tally.has_open(session, row.id):
        return False
    found = recount(session, row.id)
    if not is_finished(found):  # the index and the count disagree: never finish early
        return False
    row.status, row.finished_at, row.updated_at = "finished", now, now
    session.flush()
    return True


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
        _checked(session, _as_draft(row))
        row.scheduled_at = scheduled_at
    if done.queue:
        _checked(session, _as_draft(row))
        row.started_at = row.started_at or now
        if not row.queued:
            queue(session, row, now)
    if done.skip_open:
        skipped = tally.changed(
            session,
            update(MailSend)
            .where(MailSend.message_id == row.id, MailSend.status.in_(("queued", "deferred")))
            .values(status="skipped", error="cancelled"),
        )
        tally.add(session, row.id, {"skipped": skipped})
    row.status, row.updated_at = done.state, now
    row.pause_reason = reason if done.state == "paused" else ""
    row.counts = counts(session, row.id)  # an owner's action: counting once is fine
    if done.state == "sending":
        finish_if_done(session, row, now)  # an empty list finishes at once
    session.flush()
    return row


def start_due(session: Session, now: datetime) -> list[int]:
    """Start every scheduled broadcast whose time has come; their ids. Each is locked as it is
    read (one the owner or another sender holds now is left to them): under READ COMMITTED a
    broadcast read as scheduled could be unscheduled, paused, cancelled or started before it
    was sent, and the sender then sent a draft or failed its run."""
    due = list(
        session.scalars(
            select(Broadcast.id)
            .where(Broadcast.status == "scheduled", Broadcast.scheduled_at <= now)
            .order_by(Broadcast.id)
            .with_for_update(skip_locked=True)
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
