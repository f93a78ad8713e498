"""The sequences engine on SQLite and PostgreSQL against a real SMTP server (aiosmtpd): a step
goes once, waits are honoured, leavers and goal-reachers exit, racing ticks never double-send."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from evergreen.audience import queries as audience_queries
from evergreen.audience import service as audience
from evergreen.audience.rules import Source
from evergreen.db import Database, utcnow
from evergreen.errors import Conflict
from evergreen.mail import queries as mail_queries
from evergreen.mail import service as mail
from evergreen.mail.models import MailSend
from evergreen.sequences import queries, service, tasks
from evergreen.sequences.errors import SequenceInputError
from evergreen.sequences.models import Enrolment
from tests.mail.smtp_server import FaultyHandler, outbox_for, smtp_server

SECRET = "test-secret-for-sequences-engine-0123456789"
SITE = "http://127.0.0.1:8000"
DAY = timedelta(days=1)

THREE_STEPS: dict[str, Any] = {
    "trigger": {"kind": "joined_list", "list": "News"},
    "steps": [
        {"kind": "goal", "condition": {"kind": "tag", "name": "buyer"}},
        {"kind": "send", "message": "welcome"},
        {"kind": "wait", "seconds": 2 * 86400},
        {"kind": "tag", "name": "nurtured"},
        {"kind": "send", "message": "second"},
    ],
    "messages": {
        "welcome": {"subject": "Welcome {{ subscriber.email }}", "body": "Hello, step one."},
        "second": {"subject": "Day two", "body": "Hello again, step two."},
    },
}


@pytest.fixture
def smtp() -> Iterator[tuple[FaultyHandler, int]]:
    with smtp_server() as running:
        yield running


def _outbox(tmp_path: Path, port: int) -> mail.Outbox:
    return outbox_for(tmp_path, port, SECRET, SITE)


def _setup(db: Database, emails: list[str], document: dict[str, Any] = THREE_STEPS) -> int:
    """A list, an active sequence on it, then people joining it; returns the list id."""
    with db.session() as session:
        list_id = audience.create_list(session, "News", double_opt_in=False).id
        service.add_sequence(session, "welcome", "News", document)
        service.set_status(session, "welcome", "active", utcnow() - timedelta(seconds=1))
    with db.session() as session:
        for address in emails:
            audience.subscribe(session, SECRET, address, list_id, audience.Consent(Source.API))
    return list_id


def _got(handler: FaultyHandler) -> list[tuple[str, str]]:
    out = []
    for envelope in handler.received:
        data = envelope.content if isinstance(envelope.content, bytes) else b""
        subject = next(
            (line[9:].decode() for line in data.splitlines() if line.startswith(b"Subject: ")),
            "",
        )
        out += [(rcpt, subject) for rcpt in envelope.rcpt_tos]
    return sorted(out)


def test_three_steps_send_once_and_wait_two_days(
    db: Database, smtp: tuple[FaultyHandler, int], tmp_path: Path
) -> None:
    handler, port = smtp
    outbox = _outbox(tmp_path, port)
    _setup(db, ["ann@example.com", "bob@example.com"])
    t0 = utcnow() + timedelta(seconds=5)

    first = service.run_due(db, t0, outbox=outbox)
    assert (first.enrolled, first.queued, first.sent) == (2, 2, 2)
    assert _got(handler) == [
        ("ann@example.com", "Welcome ann@example.com"),
        ("bob@example.com", "Welcome bob@example.com"),
    ]
    again = service.run_due(db, t0, outbox=outbox)
    assert (again.enrolled, again.queued, again.sent) == (0, 0, 0)
    assert service.run_due(db, t0 + DAY, outbox=outbox).sent == 0
    assert len(handler.received) == 2

    later = service.run_due(db, t0 + 2 * DAY, outbox=outbox)
    assert (later.queued, later.sent, later.finished) == (2, 2, 2)
    assert [s for _, s in _got(handler)].count("Day two") == 2
    assert service.run_due(db, t0 + 3 * DAY, outbox=outbox).sent == 0
    with db.session() as session:
        ann = audience_queries.find_by_email(session, "ann@example.com")
        assert ann is not None
        assert "nurtured" in ann.tags  # the tag step ran
        cards = queries.sequences(session)
        assert cards[0].enrolments == {"finished": 2}
        # Sequence messages stay off the broadcast pages.
        assert mail_queries.broadcasts(session) == []


def test_unsubscribed_person_exits_and_gets_nothing_more(
    db: Database, smtp: tuple[FaultyHandler, int], tmp_path: Path
) -> None:
    handler, port = smtp
    outbox = _outbox(tmp_path, port)
    list_id = _setup(db, ["ann@example.com", "bob@example.com"])
    t0 = utcnow() + timedelta(seconds=5)
    assert service.run_due(db, t0, outbox=outbox).sent == 2
    with db.session() as session:
        bob = audience_queries.find_by_email(session, "bob@example.com")
        assert bob is not None
        audience.unsubscribe(session, SECRET, bob.id, list_id)
    tick = service.run_due(db, t0 + 2 * DAY, outbox=outbox)
    assert (tick.sent, tick.exited) == (1, 1)
    assert [r for r, s in _got(handler) if s == "Day two"] == ["ann@example.com"]
    with db.session() as session:
        row = session.scalar(select(Enrolment).where(Enrolment.subscriber_id == bob.id))
        assert row is not None
        assert (row.status, row.exit_reason) == ("exited", "unsubscribed")


def test_bounced_complained_and_erased_people_get_nothing_more(
    db: Database, smtp: tuple[FaultyHandler, int], tmp_path: Path
) -> None:
    handler, port = smtp
    outbox = _outbox(tmp_path, port)
    emails = ["ann@example.com", "bob@example.com", "cat@example.com", "dan@example.com"]
    _setup(db, emails)
    t0 = utcnow() + timedelta(seconds=5)
    assert service.run_due(db, t0, outbox=outbox).sent == 4
    with db.session() as session:
        ids = {e: audience_queries.find_by_email(session, e) for e in emails}
        audience.suppress(session, SECRET, ids["bob@example.com"].id, "bounced")  # type: ignore[union-attr]
        audience.suppress(session, SECRET, ids["cat@example.com"].id, "complained")  # type: ignore[union-attr]
        audience.erase(session, SECRET, ids["dan@example.com"].id)  # type: ignore[union-attr]
    tick = service.run_due(db, t0 + 2 * DAY, outbox=outbox)
    assert (tick.sent, tick.exited) == (1, 2)  # the erased person's enrolment went with them
    assert [r for r, s in _got(handler) if s == "Day two"] == ["ann@example.com"]
    with db.session() as session:
        reasons = sorted(
            session.execute(
                select(Enrolment.status, Enrolment.exit_reason).where(
                    Enrolment.status != "finished"
                )
            ).all()
        )
    assert reasons == [("exited", "bounced"), ("exited", "complained")]


def test_a_weekly_reader_still_gets_each_step_after_a_broadcast(
    db: Database, smtp: tuple[FaultyHandler, int], tmp_path: Path
) -> None:
    """The preference centre's broadcast frequency does not hold back a sequence's steps."""
    handler, port = smtp
    outbox = _outbox(tmp_path, port)
    list_id = _setup(db, [])
    with db.session() as session:
        weekly = {"frequency": "weekly"}
        consent = audience.Consent(Source.API)
        audience.subscribe(session, SECRET, "weekly@example.com", list_id, consent, fields=weekly)
        broadcast = mail.create_broadcast(session, mail.Draft("News", "Hello", list_id))
        mail.act(session, broadcast.id, "send")
    assert mail.send_due(db, outbox, broadcast_id=broadcast.id).sent == 1
    t0 = utcnow() + timedelta(seconds=5)
    assert service.run_due(db, t0, outbox=outbox).sent == 1
    assert [s for _, s in _got(handler)] == ["News", "Welcome weekly@example.com"]
    with db.session() as session:
        assert [card.id for card in mail_queries.broadcasts(session)] == [broadcast.id]
        step_ids = service.message_ids(session, 1)
        assert mail_queries.broadcast_card(session, step_ids["welcome"]) is None


def test_goal_exits_before_the_next_send(
    db: Database, smtp: tuple[FaultyHandler, int], tmp_path: Path
) -> None:
    handler, port = smtp
    outbox = _outbox(tmp_path, port)
    _setup(db, ["ann@example.com"])
    t0 = utcnow() + timedelta(seconds=5)
    service.run_due(db, t0, outbox=outbox)
    with db.session() as session:
        ann = audience_queries.find_by_email(session, "ann@example.com")
        assert ann is not None
        audience.add_tags(session, ann.id, ["Buyer"])
    tick = service.run_due(db, t0 + 2 * DAY, outbox=outbox)
    assert (tick.sent, tick.exited) == (0, 1)
    assert len(handler.received) == 1
    with db.session() as session:
        row = session.scalar(select(Enrolment))
        assert row is not None
        assert row.status == "exited"
        assert "goal" in row.exit_reason


def test_tag_trigger_and_no_outbox_only_queues(db: Database) -> None:
    document = dict(THREE_STEPS, trigger={"kind": "got_tag", "name": "lead"})
    list_id = _setup(db, ["ann@example.com", "bob@example.com"], document)
    with db.session() as session:
        ann = audience_queries.find_by_email(session, "ann@example.com")
        assert ann is not None
        audience.add_tags(session, ann.id, ["Lead"])
    tick = service.run_due(db, utcnow() + timedelta(seconds=5))
    assert (tick.enrolled, tick.queued, tick.sent) == (1, 1, 0)
    with db.session() as session:
        rows = session.execute(select(MailSend.subscriber_id, MailSend.status)).all()
        assert rows == [(ann.id, "queued")]
    assert list_id


def test_people_who_joined_before_activation_are_not_enrolled(db: Database) -> None:
    with db.session() as session:
        list_id = audience.create_list(session, "News", double_opt_in=False).id
        audience.subscribe(
            session, SECRET, "old@example.com", list_id, audience.Consent(Source.API)
        )
        service.add_sequence(session, "welcome", "News", THREE_STEPS)
    with db.session() as session:
        service.set_status(session, "welcome", "active", utcnow() + timedelta(seconds=1))
    assert service.run_due(db, utcnow() + timedelta(seconds=5)).enrolled == 0


def test_bad_documents_name_the_field(db: Database) -> None:
    with db.session() as session:
        audience.create_list(session, "News", double_opt_in=False)
    broken = dict(THREE_STEPS, messages={"welcome": THREE_STEPS["messages"]["welcome"]})
    cases = [
        (broken, "steps[4].message"),
        (dict(THREE_STEPS, trigger={"kind": "nope"}), "trigger.kind"),
        (dict(THREE_STEPS, extra=1), "extra"),
        (dict(THREE_STEPS, steps=[{"kind": "wait", "seconds": 0}]), "steps[0].seconds"),
    ]
    for document, field in cases:
        with pytest.raises(SequenceInputError) as caught, db.session() as session:
            service.add_sequence(session, "s", "News", document)
        assert caught.value.field == field
    with db.session() as session:
        service.add_sequence(session, "s", "News", THREE_STEPS)
    with pytest.raises(Conflict), db.session() as session:
        service.add_sequence(session, "s", "News", THREE_STEPS)


def test_concurrent_ticks_never_send_a_step_twice(
    db: Database, database_url: str, smtp: tuple[FaultyHandler, int], tmp_path: Path
) -> None:
    """Three ticks at once, twice (PostgreSQL: SKIP LOCKED claims; SQLite: one writer)."""
    handler, port = smtp
    outbox = _outbox(tmp_path, port)
    emails = [f"p{i}@example.com" for i in range(40)]
    _setup(db, emails)
    t0 = utcnow() + timedelta(seconds=5)
    ticks: list[service.Tick] = []
    errors: list[BaseException] = []

    def tick(at: Any) -> None:
        own = Database(database_url)
        try:
            ticks.append(service.run_due(own, at, outbox=outbox, batch=5))
        except BaseException as exc:
            errors.append(exc)
        finally:
            own.dispose()

    for at in (t0, t0 + 2 * DAY):
        threads = [threading.Thread(target=tick, args=(at,)) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert not errors
    assert sum(t.failed for t in ticks) == 0
    assert sum(t.queued for t in ticks) == sum(t.sent for t in ticks) == 2 * len(emails)
    got = _got(handler)
    assert len(got) == len(set(got)) == 2 * len(emails)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(MailSend)) == 2 * len(emails)


def test_an_open_reaches_a_goal_but_apples_proxy_never_does(
    db: Database, smtp: tuple[FaultyHandler, int], tmp_path: Path
) -> None:
    handler, port = smtp
    outbox = _outbox(tmp_path, port)
    steps = [{"kind": "goal", "condition": {"kind": "opened", "message": "welcome"}}]
    document = dict(THREE_STEPS, steps=steps + THREE_STEPS["steps"][1:])
    _setup(db, ["ann@example.com", "bob@example.com"], document)
    t0 = utcnow() + timedelta(seconds=5)
    assert service.run_due(db, t0, outbox=outbox).sent == 2
    with db.session() as session:
        ann = audience_queries.find_by_email(session, "ann@example.com")
        bob = audience_queries.find_by_email(session, "bob@example.com")
        assert ann is not None
        assert bob is not None
        for person, column in ((ann, MailSend.opened_at), (bob, MailSend.proxy_opened_at)):
            session.execute(
                update(MailSend).where(MailSend.subscriber_id == person.id).values({column: t0})
            )
    tick = service.run_due(db, t0 + 2 * DAY, outbox=outbox)
    assert (tick.sent, tick.exited, tick.finished) == (1, 1, 1)
    assert [r for r, s in _got(handler) if s == "Day two"] == ["bob@example.com"]


def test_move_to_leaves_for_another_active_sequence(db: Database) -> None:
    moving = dict(THREE_STEPS, steps=[{"kind": "move_to", "sequence": "next"}])
    _setup(db, [], moving)
    with db.session() as session:
        follow_up = dict(THREE_STEPS, trigger={"kind": "got_tag", "name": "never"})
        service.add_sequence(session, "next", "News", follow_up)
        service.set_status(session, "next", "active")
        list_id = audience.list_named(session, "News").id
        audience.subscribe(session, SECRET, "ann@example.com", list_id,
                           audience.Consent(Source.API))  # fmt: skip
    tick = service.run_due(db, utcnow() + timedelta(seconds=5))
    # The move enrols them in "next", due now: its first send goes in the same tick.
    assert (tick.enrolled, tick.exited, tick.queued) == (1, 1, 1)
    with db.session() as session:
        rows = session.execute(
            select(Enrolment.sequence_id, Enrolment.status, Enrolment.exit_reason).order_by(
                Enrolment.sequence_id
            )
        ).all()
    assert rows == [(1, "exited", "moved to next"), (2, "active", "")]
    assert service.run_due(db, utcnow() + timedelta(seconds=6)).queued == 0


def test_the_servers_minute_queues_due_steps_and_the_mail_minute_sends_them(
    db: Database, smtp: tuple[FaultyHandler, int], tmp_path: Path
) -> None:
    """In the server nobody runs `run-due`: the sequences task's tick (real clock) queues the
    first step, and the mail area's sender delivers it with the broadcasts."""
    handler, port = smtp
    _setup(db, ["ann@example.com"])
    tick = tasks.run_tick(db)
    assert (tick.enrolled, tick.queued, tick.sent) == (1, 1, 0)
    assert handler.received == []
    report = mail.send_due(db, _outbox(tmp_path, port))
    assert report.sent == 1
    assert _got(handler) == [("ann@example.com", "Welcome ann@example.com")]
    assert tasks.run_tick(db).queued == 0  # the next minute: nothing due, nothing again
