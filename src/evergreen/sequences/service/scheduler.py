"""The scheduler: enrol people whose trigger fired, then walk every due enrolment forward.

`run_due(db, now)` is one tick. It first enrols: for each active sequence it asks the audience
who joined its list (or got its tag) since the last tick looked, with a margin for late commits,
and enrols them (idempotent: one enrolment per sequence and person). The audience area has no
event hook, so the tick is the trigger's call site; a person enrolled at a tick starts then.

It then claims due enrolments a batch at a time (PostgreSQL: `UPDATE … WHERE id IN (SELECT …
FOR UPDATE SKIP LOCKED) RETURNING`, so two schedulers never hold the same one; SQLite has one
writer), and for each calls rules.advance until the position waits or ends, performing each
outcome: a Send queues ONE send row in the mail area's send log, whose unique (message, person)
means a step reaches a person at most once even if two ticks race past a claim. A person no
longer subscribed to the sequence's list (unsubscribed, bounced, complained, erased) exits.
Each enrolment is its own transaction; one that fails keeps its claim until the lease ends and
is tried again by a later tick, and the others go on.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from evergreen.audience import queries as audience_queries
from evergreen.audience import service as audience
from evergreen.db import Database, utcnow
from evergreen.errors import InputError
from evergreen.mail import queries as mail_queries
from evergreen.mail import service as mail
from evergreen.sequences.models import Enrolment, Sequence
from evergreen.sequences.rules import (
    Branch,
    Do,
    Facts,
    Goal,
    GotTag,
    Happened,
    JoinedList,
    MoveTo,
    Open,
    Program,
    Send,
    Tag,
    Untag,
    advance,
    dump_position,
    fires,
    parse_position,
    parse_program,
    parse_trigger,
    start,
)
from evergreen.sequences.service.sequences import message_ids

__all__ = [
    "BATCH",
    "LEASE",
    "MARGIN",
    "Tick",
    "enroll",
    "run_due",
]

log = logging.getLogger(__name__)

BATCH = 100
LEASE = timedelta(minutes=5)  # longer than a batch takes; past it a claim is abandoned
MARGIN = timedelta(minutes=10)  # the trigger scan looks this far back again (late commits)


@dataclass
class Tick:
    """What one tick did; `message_ids`: the mail messages it queued rows for."""

    enrolled: int = 0
    queued: int = 0
    sent: int = 0
    skipped: int = 0
    exited: int = 0
    finished: int = 0
    unsupported: int = 0
    failed: int = 0
    message_ids: set[int] = field(default_factory=set)

    def add(self, other: Tick) -> None:
        """Count another tick's work in this one."""
        for name in ("enrolled", "queued", "sent", "skipped", "exited", "finished"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.unsupported += other.unsupported
        self.failed += other.failed
        self.message_ids |= other.message_ids

    def as_dict(self) -> dict[str, int]:
        """The CLI's and API's numbers."""
        return {
            "sent": self.sent,
            "queued": self.queued,
            "skipped": self.skipped,
            "exited": self.exited,
            "finished": self.finished,
            "enrolled": self.enrolled,
            "unsupported": self.unsupported,
            "failed": self.failed,
        }


def _insert(session: Session) -> Any:
    return postgres_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def enroll(session: Session, sequence: Sequence, subscriber_id: int, now: datetime) -> bool:
    """Enrol a person at the program's first step, due now; False when already enrolled."""
    position = start(parse_program(sequence.program), now)
    statement = (
        _insert(session)(Enrolment)
        .values(
            sequence_id=sequence.id,
            subscriber_id=subscriber_id,
            position=dump_position(position),
            due_at=position.due,
            status="active",
            exit_reason="",
            steps_done=0,
            claimed_by="",
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["sequence_id", "subscriber_id"])
        .returning(Enrolment.id)
    )
    return session.execute(statement).first() is not None


def _enrolled(session: Session, sequence_id: int, ids: list[int]) -> set[int]:
    """Which of these people the sequence has enrolled already (at any status)."""
    found: set[int] = set()
    for start_at in range(0, len(ids), 500):
        found.update(
            session.scalars(
                select(Enrolment.subscriber_id).where(
                    Enrolment.sequence_id == sequence_id,
                    Enrolment.subscriber_id.in_(ids[start_at : start_at + 500]),
                )
            )
        )
    return found


def _enroll_triggered(session: Session, now: datetime) -> int:
    """Enrol everyone whose list-join or tag trigger fired since the last scan."""
    enrolled = 0
    for sequence in session.scalars(
        select(Sequence)
        .where(Sequence.status == "active")
        .order_by(Sequence.id)
        .with_for_update(skip_locked=True)  # another tick is enrolling for it
    ):
        since = (sequence.enrolled_through or sequence.activated_at or now) - MARGIN
        if sequence.activated_at is not None:
            since = max(since, sequence.activated_at)
        trigger = parse_trigger(sequence.trigger)
        candidates: list[tuple[int, Happened]] = []
        if isinstance(trigger, JoinedList):
            try:
                joined_list = audience.list_named(session, trigger.list_ref).id
            except InputError:  # the trigger's list was renamed or deleted: nobody joins it
                joined_list = None
            if joined_list is not None:
                ids = audience_queries.joined_between(session, joined_list, since, now)
                candidates = [(i, Happened("joined", trigger.list_ref)) for i in ids]
        elif isinstance(trigger, GotTag):
            ids = audience_queries.tagged_between(session, trigger.name, since, now)
            candidates = [(i, Happened("tagged", trigger.name)) for i in ids]
        # Known people are left out before inserting: an insert that meets the unique key of
        # an enrolment another tick is updating would wait for that tick.
        known = _enrolled(session, sequence.id, [i for i, _ in candidates])
        for subscriber_id, happened in candidates:
            if subscriber_id in known:
                continue
            if fires(trigger, happened) and enroll(session, sequence, subscriber_id, now):
                enrolled += 1
        if sequence.enrolled_through is None or sequence.enrolled_through < now:
            sequence.enrolled_through = now
    session.flush()
    return enrolled


def _claim(session: Session, now: datetime, batch: int) -> list[int]:
    """Lock up to a batch of due active enrolments of active sequences for this transaction
    (skipping those another tick holds, and those set aside after failing)."""
    due = (
        select(Enrolment.id)
        .join(Sequence, Sequence.id == Enrolment.sequence_id)
        .where(
            Sequence.status == "active",
            Enrolment.status == "active",
            Enrolment.due_at <= now,
            or_(Enrolment.claimed_until.is_(None), Enrolment.claimed_until < utcnow()),
        )
        .order_by(Enrolment.due_at, Enrolment.id)
        .limit(batch)
        .with_for_update(skip_locked=True, of=Enrolment)
    )
    return list(session.scalars(due))


def _facts(
    session: Session, subscriber_id: int, fields: dict[str, Any], refs: dict[str, int]
) -> Facts:
    """What the conditions may ask about this person (opens by Apple's proxy flagged)."""
    by_id = {message_id: ref for ref, message_id in refs.items()}
    opens = tuple(
        Open(by_id[message_id], proxy)
        for message_id, proxy in mail_queries.opens_of(session, subscriber_id, list(by_id))
    )
    return Facts(
        tags=frozenset(audience_queries.tags_of(session, subscriber_id)),
        fields={k: str(v) for k, v in fields.items() if v is not None},
        opens=opens,
    )


def _why_gone(session: Session, subscriber_id: int, list_id: int | None) -> str:
    """Why a person no longer gets this sequence's mail, in words."""
    card = audience_queries.card(session, subscriber_id)
    if card is None:
        return "erased"
    if list_id is None:
        return "the sequence's list was deleted"
    status = card.lists.get(audience.get_list(session, list_id).name)
    if status is not None and status != "subscribed":
        return status  # unsubscribed, bounced, complained, unconfirmed
    if card.suppressed:
        return f"suppressed: {card.suppressed}"
    return status or "not on the list"


@dataclass(frozen=True)
class _Parsed:
    """A sequence's program as the steps need it: parsed, its message ids, and whether any
    step asks about the person (a goal or a branch: only then are tags and opens read)."""

    program: Program
    refs: dict[str, int]
    asks: bool


def _parsed(session: Session, sequence: Sequence) -> _Parsed:
    """The sequence's program, parsed once per unit of work and program text (a batch's
    enrolments mostly share a few sequences; an edited program is parsed again)."""
    cache: dict[tuple[int, bytes], _Parsed] = session.info.setdefault("sequences.parsed", {})
    key = (sequence.id, orjson.dumps(sequence.program, option=orjson.OPT_SORT_KEYS))
    found = cache.get(key)
    if found is None:
        program = parse_program(sequence.program)
        asks = any(isinstance(step, Goal | Branch) for step in program.steps)
        found = cache[key] = _Parsed(program, message_ids(session, sequence.id), asks)
    return found


def _step_one(session: Session, enrolment_id: int, now: datetime, tick: Tick) -> None:
    """Walk one locked enrolment forward until it waits or ends."""
    row = session.get(Enrolment, enrolment_id)
    if row is None or row.status != "active":
        return
    sequence = session.get(Sequence, row.sequence_id)
    assert sequence is not None
    parsed = _parsed(session, sequence)
    program, refs = parsed.program, parsed.refs
    list_id = sequence.list_id
    member = (
        audience_queries.recipients(session, list_id, [row.subscriber_id]).get(row.subscriber_id)
        if list_id is not None
        else None
    )
    position = parse_position(row.position)
    if member is None:
        row.status, row.exit_reason = "exited", _why_gone(session, row.subscriber_id, list_id)
        tick.exited += 1
    else:
        facts = (
            _facts(session, row.subscriber_id, member.fields, refs)
            if parsed.asks
            else Facts(fields={k: str(v) for k, v in member.fields.items() if v is not None})
        )
        for _ in range(4 * len(program.steps) + 4):
            outcome = advance(program, position, facts, now, member.time_zone)
            position = outcome.position
            step = outcome.step
            if outcome.do is Do.WAIT:
                break
            row.steps_done += 1
            if outcome.do is Do.SEND and isinstance(step, Send):
                if mail.queue_one(session, refs[step.message_ref], row.subscriber_id, now):
                    tick.queued += 1
                    tick.message_ids.add(refs[step.message_ref])
            elif outcome.do is Do.SKIP_STALE:
                tick.skipped += 1
            elif outcome.do is Do.TAG and isinstance(step, Tag):
                tags = audience.add_tags(session, row.subscriber_id, [step.name])
                facts = Facts(frozenset(tags), facts.fields, facts.clicked, facts.purchased,
                              facts.webinars, facts.opens, facts.events)  # fmt: skip
            elif outcome.do is Do.UNTAG and isinstance(step, Untag):
                tags = audience.remove_tags(session, row.subscriber_id, [step.name])
                facts = Facts(frozenset(tags), facts.fields, facts.clicked, facts.purchased,
                              facts.webinars, facts.opens, facts.events)  # fmt: skip
            elif outcome.do in (Do.NOTIFY, Do.WEBHOOK):
                tick.unsupported += 1  # not yet performed: the step is passed over
            elif outcome.do is Do.EXIT_GOAL:
                row.status, row.exit_reason = "exited", outcome.reason or "goal reached"
                tick.exited += 1
                break
            elif outcome.do is Do.MOVE and isinstance(step, MoveTo):
                row.status, row.exit_reason = "exited", f"moved to {step.sequence_ref}"
                target = session.scalar(select(Sequence).where(Sequence.name == step.sequence_ref))
                if target is not None and target.status == "active":
                    enroll(session, target, row.subscriber_id, now)
                tick.exited += 1
                break
            elif outcome.do is Do.COMPLETE:
                row.status, row.exit_reason = "finished", outcome.reason
                tick.finished += 1
                break
    row.position = dump_position(position)
    row.due_at = position.due if row.status == "active" else None
    row.claimed_by, row.claimed_until, row.updated_at = "", None, utcnow()
    session.flush()


def _run_id() -> str:
    return f"{socket.gethostname()[:40]}/{os.getpid()}/{secrets.token_hex(4)}"


def run_due(
    db: Database, now: datetime, *, outbox: mail.Outbox | None = None, batch: int = BATCH
) -> Tick:
    """One tick at `now`: enrol, advance every enrolment due at or before `now`, and (with an
    outbox) deliver the send rows it queued, so "sent" means sent."""
    now = now.astimezone(UTC)
    run, tick = _run_id(), Tick()
    with db.session() as session:
        tick.enrolled = _enroll_triggered(session, now)
    while True:
        with db.session() as session:
            claimed = _claim(session, now, batch)
            for enrolment_id in claimed:
                done = Tick()
                try:
                    with session.begin_nested():
                        _step_one(session, enrolment_id, now, done)
                except Exception:  # one broken enrolment must not stop the others
                    log.exception("sequence enrolment %s failed; set aside", enrolment_id)
                    tick.failed += 1
                    session.execute(
                        update(Enrolment)
                        .where(Enrolment.id == enrolment_id)
                        .values(claimed_by=run, claimed_until=utcnow() + LEASE)
                    )
                    continue
                tick.add(done)
        if not claimed:
            break
    if outbox is not None:
        for message_id in sorted(tick.message_ids):
            report = mail.send_due(
                db, outbox, broadcast_id=message_id, clock=lambda: max(utcnow(), now)
            )
            tick.sent += report.sent
    return tick
