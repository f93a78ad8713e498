"""The scheduler: enrol people whose trigger fired, then walk every due enrolment forward.

`run_due(db, now)` is one tick. It first enrols (service.triggers: every trigger kind is asked
what happened since the last tick looked; idempotent, one enrolment per sequence and person).

It then claims due enrolments a batch at a time (PostgreSQL: `UPDATE … WHERE id IN (SELECT …
FOR UPDATE SKIP LOCKED) RETURNING`, so two schedulers never hold the same one; SQLite has one
writer), and for each calls rules.advance over the person's facts (service.facts) until the
position waits or ends, performing each outcome: a Send queues ONE send row in the mail area's
send log, whose unique (message, person) means a step reaches a person at most once even if two
ticks race past a claim; a Notify or Webhook records one action row (service.actions), performed
after the enrolments with retries of its own. A person no longer subscribed to the sequence's
list (unsubscribed, bounced, complained, erased) exits at their next due step, before any step
runs: nothing more of any kind (no Send, Tag, Notify or Webhook) happens for them; an action
recorded while they were still subscribed is still performed. Each claimed batch is walked
together (service.walk: one read of the enrolments, their sequences and each list's members,
the send rows, one executemany of the enrolments), in a savepoint; an enrolment whose step acts
(tag, untag, notify, webhook, move to), and every one of a batch whose walk together raised, is
walked alone in its own savepoint: one that fails keeps its claim until the lease ends and is
tried again by a later tick, and the others go on.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import orjson
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from evergreen.audience import queries as audience_queries
from evergreen.audience import service as audience
from evergreen.db import Database, utcnow
from evergreen.mail import service as mail
from evergreen.sequences.models import Enrolment, Sequence
from evergreen.sequences.rules import (
    Branch,
    Do,
    Facts,
    Goal,
    MoveTo,
    Notify,
    Program,
    Send,
    Tag,
    Untag,
    WaitRelative,
    Webhook,
    advance,
    dump_position,
    in_range,
    parse_position,
    parse_program,
)
from evergreen.sequences.service.actions import Performer, perform_due, queue_action
from evergreen.sequences.service.facts import load_facts
from evergreen.sequences.service.sequences import message_ids
from evergreen.sequences.service.triggers import MARGIN, enroll, enroll_triggered
from evergreen.sequences.service.walk import step_batch

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


_COUNTS = (
    "enrolled", "queued", "skipped", "exited", "finished", "unsupported", "failed",
    "actions_queued", "actions_done", "actions_retried", "actions_failed",
)  # fmt: skip


@dataclass
class Tick:
    """What one tick did; `message_ids`: the mail messages it queued rows for."""

    enrolled: int = 0
    queued: int = 0
    sent: int = 0
    skipped: int = 0
    exited: int = 0
    finished: int = 0
    unsupported: int = 0  # kept for callers: every step kind is performed now
    failed: int = 0
    actions_queued: int = 0
    actions_done: int = 0
    actions_retried: int = 0
    actions_failed: int = 0
    message_ids: set[int] = field(default_factory=set)

    def add(self, other: Tick) -> None:
        """Count another tick's work in this one."""
        for name in (*_COUNTS, "sent"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
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
            "actions_queued": self.actions_queued,
            "actions_done": self.actions_done,
            "actions_retried": self.actions_retried,
            "actions_failed": self.actions_failed,
        }


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
    step asks about the person (a goal, a branch or a wait for their event: only then are their
    tags, opens, clicks, purchases, webinars and events read)."""

    program: Program
    refs: dict[str, int]
    asks: bool


_Cache = dict[tuple[int, bytes], _Parsed]


def _parsed(session: Session, sequence: Sequence, cache: _Cache | None = None) -> _Parsed:
    """The sequence's program, parsed once per unit of work (or per `cache`: a tick's batches)
    and program text (a batch's enrolments mostly share a few sequences; an edited program is
    parsed again)."""
    if cache is None:
        cache = session.info.setdefault("sequences.parsed", {})
    key = (sequence.id, orjson.dumps(sequence.program, option=orjson.OPT_SORT_KEYS))
    found = cache.get(key)
    if found is None:
        program = parse_program(sequence.program)
        asks = any(isinstance(step, Goal | Branch | WaitRelative) for step in program.steps)
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
            load_facts(session, row.subscriber_id, member.fields, refs, now)
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
            elif outcome.do in (Do.NOTIFY, Do.WEBHOOK) and isinstance(step, Notify | Webhook):
                if queue_action(session, row, sequence, step, member, now):
                    tick.actions_queued += 1
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


def _step_together(
    session: Session, claimed: list[int], now: datetime, tick: Tick, cache: _Cache
) -> list[int]:
    """Walk the batch's plain enrolments at once (service.walk); the ids left to walk alone:
    those with a step that acts, or the whole batch when walking it together raised."""

    def parsed(session: Session, sequence: Sequence) -> _Parsed:
        return _parsed(session, sequence, cache)

    try:
        with session.begin_nested():
            done = step_batch(session, claimed, now, parsed, _why_gone)
    except Exception:  # something in the batch is broken: each one alone finds which
        log.warning("sequence batch walked together failed; walking each alone", exc_info=True)
        return claimed
    tick.queued += done.queued
    tick.skipped += done.skipped
    tick.exited += done.exited
    tick.finished += done.finished
    tick.message_ids |= done.message_ids
    return done.alone


def _run_id() -> str:
    return f"{socket.gethostname()[:40]}/{os.getpid()}/{secrets.token_hex(4)}"


def run_due(
    db: Database,
    now: datetime,
    *,
    outbox: mail.Outbox | None = None,
    batch: int = BATCH,
    performer: Performer | None = None,
) -> Tick:
    """One tick at `now`: enrol, advance every enrolment due at or before `now`, (with an
    outbox) deliver the send rows it queued, so "sent" means sent, and (with a performer) one
    batch of due Notify/Webhook actions; without one they wait for a tick that has it."""
    now = in_range(now, "now")  # a time the dates computed from it cannot overflow
    run, tick = _run_id(), Tick()
    programs: _Cache = {}  # parsed once per tick, not per batch
    with db.session() as session:
        tick.enrolled = enroll_triggered(session, now)
    while True:
        with db.session() as session:
            claimed = _claim(session, now, batch)
            for enrolment_id in _step_together(session, claimed, now, tick, programs):
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
    if performer is not None:
        performed = perform_due(db, now, performer)
        tick.actions_done, tick.actions_retried = performed.done, performed.retried
        tick.actions_failed = performed.failed
    return tick
