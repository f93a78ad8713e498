"""A tick's batch walked together: what each plain enrolment does, decided before any write.

`plan` walks one enrolment with rules.advance as `scheduler._step_one` does, but only through
the steps that need nothing but the send log (send, skip as stale, wait, goal, complete); a
step that acts on the person or another row (tag, untag, notify, webhook, move to) returns None
and that enrolment is walked alone, in its own savepoint, as before. `step_batch` reads a
claimed batch in a few queries (the enrolments, their sequences, the members of each list at
once), plans each, then writes: the send rows (each counted only when really inserted) and the
enrolments in one executemany.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from evergreen.audience import queries as audience_queries
from evergreen.audience.queries import Member
from evergreen.db import utcnow
from evergreen.mail import service as mail
from evergreen.sequences.models import Enrolment, Sequence
from evergreen.sequences.rules import (
    Do,
    Facts,
    Position,
    Program,
    Send,
    advance,
    dump_position,
    parse_position,
)
from evergreen.sequences.service.facts import load_facts

__all__ = ["Plan", "plan", "step_batch"]

_ACTS = (Do.TAG, Do.UNTAG, Do.NOTIFY, Do.WEBHOOK, Do.MOVE)


@dataclass
class Plan:
    """What one enrolment's walk does: the messages it sends, where it ends, what it counts."""

    position: Position
    sends: list[str] = field(default_factory=list)
    steps: int = 0
    status: str = "active"
    reason: str | None = None
    skipped: int = 0


def plan(
    program: Program, position: Position, facts: Facts, now: datetime, zone: str | None
) -> Plan | None:
    """The walk until the position waits or ends; None when a step must act on its own."""
    result = Plan(position)
    for _ in range(4 * len(program.steps) + 4):
        outcome = advance(program, result.position, facts, now, zone)
        result.position = outcome.position
        if outcome.do is Do.WAIT:
            break
        if outcome.do in _ACTS:
            return None
        result.steps += 1
        if outcome.do is Do.SEND and isinstance(outcome.step, Send):
            result.sends.append(outcome.step.message_ref)
        elif outcome.do is Do.SKIP_STALE:
            result.skipped += 1
        elif outcome.do is Do.EXIT_GOAL:
            result.status, result.reason = "exited", outcome.reason or "goal reached"
            break
        elif outcome.do is Do.COMPLETE:
            result.status, result.reason = "finished", outcome.reason
            break
    return result


@dataclass
class Done:
    """What a batch's walk together did, for the tick's counts."""

    queued: int = 0
    skipped: int = 0
    exited: int = 0
    finished: int = 0
    message_ids: set[int] = field(default_factory=set)
    alone: list[int] = field(default_factory=list)  # enrolment ids to walk one at a time


def step_batch(
    session: Session,
    ids: list[int],
    now: datetime,
    parsed: Callable[[Session, Sequence], Any],
    why_gone: Callable[[Session, int, int | None], str],
) -> Done:
    """Walk a claimed batch forward: read it at once, plan each, write the rows together."""
    done = Done()
    rows = {
        r.id: r
        for r in session.execute(
            select(
                Enrolment.id,
                Enrolment.sequence_id,
                Enrolment.subscriber_id,
                Enrolment.position,
                Enrolment.exit_reason,
                Enrolment.steps_done,
            ).where(Enrolment.id.in_(ids), Enrolment.status == "active")
        )
    }
    sequences = {
        s.id: s
        for s in session.scalars(
            select(Sequence).where(Sequence.id.in_({r.sequence_id for r in rows.values()}))
        )
    }
    programs = {sequence_id: parsed(session, s) for sequence_id, s in sequences.items()}
    people: dict[int, set[int]] = {}
    for r in rows.values():
        list_id = sequences[r.sequence_id].list_id
        if list_id is not None:
            people.setdefault(list_id, set()).add(r.subscriber_id)
    members: dict[int, dict[int, Member]] = {
        list_id: audience_queries.recipients(session, list_id, sorted(subscriber_ids))
        for list_id, subscriber_ids in people.items()
    }
    acting: set[int] = set()  # people one of whose enrolments acts: their later ones wait too
    sends: dict[int, list[int]] = {}
    updates: list[dict[str, Any]] = []
    for enrolment_id in ids:
        if enrolment_id not in rows:
            continue
        r = rows[enrolment_id]
        if r.subscriber_id in acting:
            done.alone.append(enrolment_id)
            continue
        sequence = sequences[r.sequence_id]
        p = programs[r.sequence_id]
        list_id = sequence.list_id
        member = members.get(list_id, {}).get(r.subscriber_id) if list_id is not None else None
        position = parse_position(r.position)
        if member is None:
            walk: Plan | None = Plan(position, status="exited")
            assert walk is not None
            walk.reason = why_gone(session, r.subscriber_id, list_id)
        else:
            facts = (
                load_facts(session, r.subscriber_id, member.fields, p.refs, now)
                if p.asks
                else Facts(fields={k: str(v) for k, v in member.fields.items() if v is not None})
            )
            walk = plan(p.program, position, facts, now, member.time_zone)
        if walk is None:
            acting.add(r.subscriber_id)
            done.alone.append(enrolment_id)
            continue
        for ref in walk.sends:
            sends.setdefault(p.refs[ref], []).append(r.subscriber_id)
        done.skipped += walk.skipped
        done.exited += walk.status == "exited"
        done.finished += walk.status == "finished"
        active = walk.status == "active"
        updates.append(
            {
                "id": enrolment_id,
                "position": dump_position(walk.position),
                "due_at": walk.position.due if active else None,
                "status": walk.status,
                "exit_reason": r.exit_reason if walk.reason is None else walk.reason,
                "steps_done": r.steps_done + walk.steps,
                "claimed_by": "",
                "claimed_until": None,
                "updated_at": utcnow(),
            }
        )
    for message_id, subscriber_ids in sends.items():
        queued = mail.queue_many(session, message_id, list(subscriber_ids), now)
        done.queued += len(queued)
        if queued:
            done.message_ids.add(message_id)
    if updates:
        session.execute(update(Enrolment), updates)
    return done
