"""A tick walks a claimed batch together (service.walk) on SQLite and PostgreSQL: plain steps
are written in bulk, a step that acts walks alone, `queued` counts only rows really inserted,
a person who left exits, and a broken enrolment is set aside while the others go on."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from evergreen.audience import queries as audience_queries
from evergreen.audience import service as audience
from evergreen.db import Database, utcnow
from evergreen.mail import service as mail
from evergreen.mail.models import MailSend
from evergreen.sequences import service
from evergreen.sequences.models import Enrolment, Sequence
from evergreen.sequences.rules import Facts, Position, Send, Tag, parse_program
from evergreen.sequences.service import scheduler
from evergreen.sequences.service.walk import plan
from tests.sequences.kit import SECRET, future_day, make_list, subscribe

DAY = timedelta(days=1)
PLAIN: dict[str, Any] = {
    "trigger": {"kind": "got_tag", "name": "never-given"},
    "steps": [
        {"kind": "send", "message": "welcome"},
        {"kind": "wait", "seconds": 2 * 86400},
        {"kind": "send", "message": "second"},
    ],
    "messages": {
        "welcome": {"subject": "Welcome", "body": "Step one."},
        "second": {"subject": "Second", "body": "Step two."},
    },
}
TAGGING: dict[str, Any] = {
    "trigger": {"kind": "got_tag", "name": "never-given"},
    "steps": [{"kind": "tag", "name": "nurtured"}, {"kind": "send", "message": "hi"}],
    "messages": {"hi": {"subject": "Hi", "body": "Tagged."}},
}


def _setup(db: Database, people: int, now: datetime) -> tuple[int, list[int]]:
    """Both sequences active, `people` subscribers enrolled in each, due at `now`; the list's
    id and the people's."""
    list_id = make_list(db)
    ids = [subscribe(db, list_id, f"p{i}@example.com") for i in range(people)]
    with db.session() as session:
        for name, document in (("plain", PLAIN), ("tagging", TAGGING)):
            service.add_sequence(session, name, "News", document)
            service.set_status(session, name, "active", now - DAY)
        for sequence in session.scalars(select(Sequence)):
            for subscriber_id in ids:
                assert scheduler.enroll(session, sequence, subscriber_id, now)
    return list_id, ids


def _sent(db: Database, sequence: str, ref: str) -> list[int]:
    """The people with a send row of this message, sorted (with repeats, were there any)."""
    with db.session(writer=False) as session:
        sequence_id = session.scalars(select(Sequence.id).where(Sequence.name == sequence)).one()
        message_id = service.message_ids(session, sequence_id)[ref]
        return sorted(
            session.scalars(select(MailSend.subscriber_id).where(MailSend.message_id == message_id))
        )


def _enrolments(db: Database, sequence: str) -> dict[int, Enrolment]:
    with db.session(writer=False) as session:
        rows = session.scalars(
            select(Enrolment).join(Sequence).where(Sequence.name == sequence)
        ).all()
        session.expunge_all()
        return {row.subscriber_id: row for row in rows}


def test_plan_walks_plain_steps_and_leaves_acting_ones_alone() -> None:
    """The pure walk: sends until the wait; a tag step is not planned (it must act)."""
    now = future_day()
    plain = parse_program({"steps": PLAIN["steps"]})
    tagging = parse_program({"steps": TAGGING["steps"]})
    walked = plan(plain, Position(plain.steps[0].id, now), Facts(), now, None)
    assert walked is not None
    assert (walked.sends, walked.steps, walked.status) == (["welcome"], 1, "active")
    assert walked.position.step_id == plain.steps[2].id
    assert walked.position.due == now + 2 * DAY
    assert isinstance(plain.steps[0], Send)
    assert isinstance(tagging.steps[0], Tag)
    assert plan(tagging, Position(tagging.steps[0].id, now), Facts(), now, None) is None
    done = plan(plain, Position(plain.steps[2].id, now), Facts(), now, None)
    assert done is not None
    assert (done.sends, done.status) == (["second"], "finished")


def test_a_batch_walked_together(db: Database, caplog: pytest.LogCaptureFixture) -> None:
    """Plain and acting enrolments in one batch: every step once, exact counts, leavers exit."""
    now = future_day()
    list_id, ids = _setup(db, 6, now)
    with db.session() as session:
        sequence_id = session.scalars(select(Sequence.id).where(Sequence.name == "plain")).one()
        welcome = service.message_ids(session, sequence_id)["welcome"]
        assert mail.queue_one(session, welcome, ids[1], now)  # queued already: not counted again
        audience.unsubscribe(session, SECRET, ids[5], list_id)
    tick = scheduler.run_due(db, now, batch=8)  # batches mix both sequences' enrolments
    assert tick.failed == 0
    assert "walking each alone" not in caplog.text  # walked together, not fallen back
    assert tick.queued == 4 + 5  # plain: ids 0-4 less the one queued already; tagging: 0-4
    assert tick.exited == 2  # the leaver, from both sequences
    assert _sent(db, "plain", "welcome") == sorted(ids[:5])
    assert _sent(db, "tagging", "hi") == sorted(ids[:5])
    plain, tagging = _enrolments(db, "plain"), _enrolments(db, "tagging")
    for subscriber_id in ids[:5]:
        row = plain[subscriber_id]
        assert (row.status, row.steps_done, row.claimed_until) == ("active", 1, None)
        assert row.due_at is not None
        assert abs(row.due_at - (now + 2 * DAY)) < timedelta(seconds=1)
        assert (tagging[subscriber_id].status, tagging[subscriber_id].steps_done) == ("finished", 3)
    assert (plain[ids[5]].status, plain[ids[5]].exit_reason) == ("exited", "unsubscribed")
    with db.session(writer=False) as session:
        card = audience_queries.card(session, ids[0])
        assert card is not None
        assert "nurtured" in card.tags
    again = scheduler.run_due(db, now, batch=8)  # nothing due: nothing queued twice
    assert (again.queued, again.exited, again.finished) == (0, 0, 0)
    later = scheduler.run_due(db, now + 3 * DAY, batch=8)
    assert (later.queued, later.finished) == (5, 5)
    assert _sent(db, "plain", "second") == sorted(ids[:5])


def test_a_broken_enrolment_is_set_aside_and_the_others_go_on(db: Database) -> None:
    """A stored position that cannot be read fails its enrolment alone, with a lease."""
    now = future_day()
    _, ids = _setup(db, 4, now)
    with db.session() as session:
        plain = select(Sequence.id).where(Sequence.name == "plain").scalar_subquery()
        session.execute(
            update(Enrolment)
            .where(Enrolment.subscriber_id == ids[2], Enrolment.sequence_id == plain)
            .values(position={"bogus": True})
        )
    tick = scheduler.run_due(db, now)
    assert tick.failed == 1
    assert tick.queued == 3 + 4
    broken = _enrolments(db, "plain")[ids[2]]
    assert (broken.status, broken.steps_done) == ("active", 0)
    assert broken.claimed_until is not None
    assert broken.claimed_until > utcnow() + timedelta(minutes=4)
    assert _sent(db, "plain", "welcome") == sorted(ids[:2] + ids[3:])
    assert scheduler.run_due(db, now).failed == 0  # set aside: not tried again within the lease
