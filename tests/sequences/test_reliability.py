"""The scheduler under failure, with real processes and a real SMTP server (aiosmtpd): a run
killed with -9 and restarted queues and sends every due step exactly once, two schedulers at once
on PostgreSQL never claim the same enrolment, and someone who unsubscribes gets nothing more."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from evergreen.audience import queries as audience_queries
from evergreen.audience import service as audience
from evergreen.audience.models import Membership, Subscriber
from evergreen.db import Database, utcnow
from evergreen.mail import service as mail
from evergreen.mail.models import MailSend
from evergreen.mail.service.delivery import BATCH as MAIL_BATCH
from evergreen.mail.service.delivery import LEASE as MAIL_LEASE
from evergreen.sequences import service
from evergreen.sequences.models import Enrolment, Sequence
from evergreen.sequences.service import scheduler
from tests.conftest import truncate_all
from tests.mail.smtp_server import FaultyHandler, outbox_for, smtp_env, smtp_server

SECRET = "test-secret-for-sequences-reliability-0123"
SITE = "http://127.0.0.1:8000"
PEOPLE = 800  # enough batches that both kills land mid-run, few enough for the suite
TWO_DAYS = timedelta(days=2)
TWO_STEPS: dict[str, Any] = {
    "trigger": {"kind": "joined_list", "list": "News"},
    "steps": [
        {"kind": "send", "message": "welcome"},
        {"kind": "wait", "seconds": 2 * 86400},
        {"kind": "send", "message": "second"},
        {"kind": "wait", "seconds": 2 * 86400},
        {"kind": "send", "message": "third"},
    ],
    "messages": {
        "welcome": {"subject": "Welcome", "body": "Step one."},
        "second": {"subject": "Second", "body": "Step two."},
        "third": {"subject": "Third", "body": "Step three."},
    },
}

pytestmark = pytest.mark.timeout(420)


@pytest.fixture
def postgres_url(postgres_database: str) -> Iterator[str]:
    """The shared PostgreSQL database, emptied after the test."""
    yield postgres_database
    truncate_all(postgres_database)


def _setup(db: Database, count: int) -> list[int]:
    """The list, the active sequence on it, then `count` people joining (written in bulk);
    returns their ids."""
    with db.session() as session:
        list_id = audience.create_list(session, "News", double_opt_in=False).id
        service.add_sequence(session, "welcome", "News", TWO_STEPS)
        service.set_status(session, "welcome", "active", utcnow() - timedelta(seconds=1))
    joined = utcnow()
    emails = [f"p{i:04d}@example.com" for i in range(count)]
    with db.session() as session:
        session.execute(
            insert(Subscriber),
            [{"email": e, "email_key": e, "source": "import", "created_at": joined,
              "updated_at": joined} for e in emails],
        )  # fmt: skip
        ids = list(session.scalars(select(Subscriber.id).order_by(Subscriber.id)))
        session.execute(
            insert(Membership),
            [{"subscriber_id": i, "list_id": list_id, "status": "subscribed",
              "created_at": joined, "updated_at": joined} for i in ids],
        )  # fmt: skip
    return ids


def _outbox(tmp_path: Path, port: int) -> mail.Outbox:
    return outbox_for(tmp_path, port, SECRET, SITE)


def _received(handler: FaultyHandler, subject: str) -> Counter[str]:
    """How many messages with this subject each recipient got."""
    got: Counter[str] = Counter()
    for envelope in list(handler.received):
        data = envelope.content if isinstance(envelope.content, bytes) else b""
        if f"Subject: {subject}\r\n".encode() in data or f"Subject: {subject}\n".encode() in data:
            got.update(envelope.rcpt_tos)
    return got


def _sends(db: Database, message_ref: str) -> Counter[tuple[int, str]]:
    """Send rows of one step's message: (person, status) → rows."""
    with db.session(writer=False) as session:
        message_id = service.message_ids(session, 1)[message_ref]
        rows = session.execute(
            select(MailSend.subscriber_id, MailSend.status).where(MailSend.message_id == message_id)
        ).all()
    return Counter((r.subscriber_id, r.status) for r in rows)


def _count_sends(db: Database) -> int:
    with db.session(writer=False) as session:
        return int(session.scalar(select(func.count()).select_from(MailSend)) or 0)


def _run_due(tmp_path: Path, url: str, port: int, now: datetime) -> subprocess.Popen[str]:
    """`evergreen sequences run-due --now … --json` as its own process, sending to the server."""
    env = {**os.environ, "EVERGREEN_DATA_DIR": str(tmp_path / "data"),
           "EVERGREEN_DATABASE_URL": url, **smtp_env(port, "news@example.com")}  # fmt: skip
    return subprocess.Popen(
        [sys.executable, "-m", "evergreen.cli", "sequences", "run-due", "--now",
         now.isoformat(), "--json"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _kill_when(process: subprocess.Popen[str], ready: Callable[[], bool], bound: float) -> bool:
    """SIGKILL the process as soon as `ready()` holds (polled); False when it ended first, or
    when the bound passed first (then it is killed all the same, by its PID)."""
    deadline = time.monotonic() + bound
    while process.poll() is None:
        now_ready = ready()
        if now_ready or time.monotonic() > deadline:
            os.kill(process.pid, signal.SIGKILL)
            process.communicate(timeout=30)
            return now_ready
        time.sleep(0.005)
    return False


def _finish(process: subprocess.Popen[str], bound: float = 240) -> dict[str, int]:
    try:
        out, err = process.communicate(timeout=bound)
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
    assert process.returncode == 0, err
    found: dict[str, int] = json.loads(out)
    return found


def test_a_scheduler_killed_mid_run_is_restarted_and_every_step_goes_exactly_once(
    tmp_path: Path, db: Database, database_url: str
) -> None:
    ids = _setup(db, PEOPLE)
    emails = {f"p{i:04d}@example.com" for i in range(PEOPLE)}
    t0 = utcnow() + timedelta(seconds=5)
    with smtp_server() as (handler, port):
        # 1. Killed while it advances (some batches committed, the rest not yet queued).
        first = _run_due(tmp_path, database_url, port, t0)
        killed = _kill_when(first, lambda: _count_sends(db) >= 200, 180)
        assert killed, _finish(first)
        queued_before = _count_sends(db)
        assert 0 < queued_before < PEOPLE, "the kill should land while steps are being queued"
        assert handler.received == []  # it sends only once everything due is queued
        restart = _finish(_run_due(tmp_path, database_url, port, t0))
        assert restart["queued"] == PEOPLE - queued_before  # the rest, nothing twice
        assert restart["sent"] == PEOPLE  # the killed run's rows went out with the restart's
        assert _received(handler, "Welcome") == Counter(emails)  # each person exactly once
        assert _sends(db, "welcome") == Counter((i, "sent") for i in ids)

        # 2. Killed while it sends the next step; the mail area's sender finishes the job.
        t2 = t0 + TWO_DAYS
        second = _run_due(tmp_path, database_url, port, t2)
        killed = _kill_when(second, lambda: len(_received(handler, "Second")) >= 50, 240)
        assert killed, _finish(second)
        got_before = sum(_received(handler, "Second").values())
        assert got_before < PEOPLE, "the kill should land while the step is being sent"
        again = _finish(_run_due(tmp_path, database_url, port, t2))
        assert again["queued"] == 0  # every step was queued before the kill: none twice
        # The server's mail minute, once the dead sender's lease is over.
        late = t2 + MAIL_LEASE + timedelta(minutes=1)
        report = mail.send_due(db, _outbox(tmp_path, port), clock=lambda: late)
    got = _received(handler, "Second")
    assert set(got) == emails  # nobody skipped
    twice = sum(n - 1 for n in got.values())
    # SMTP gives no exactly-once: only a message in flight when the sender died may go again.
    assert twice <= report.maybe_delivered <= 2 * MAIL_BATCH  # two batches are in flight
    assert _sends(db, "second") == Counter((i, "sent") for i in ids)
    assert _received(handler, "Welcome") == Counter(emails)  # still once
    with db.session(writer=False) as session:
        steps = Counter(
            (row.status, row.steps_done)
            for row in session.execute(select(Enrolment.status, Enrolment.steps_done))
        )
    assert steps == Counter({("active", 2): PEOPLE})  # two sends done, waiting for the third


_CLAIMER = """
import json, sys, time
from datetime import datetime
from pathlib import Path
from evergreen.db import Database
from evergreen.sequences.service import scheduler

url, now = sys.argv[1], datetime.fromisoformat(sys.argv[2])
gate, out = Path(sys.argv[3]), sys.argv[4]
claimed: list[int] = []
claim = scheduler._claim

def recording(session, at, batch):
    ids = claim(session, at, batch)
    claimed.extend(ids)
    return ids

scheduler._claim = recording
db = Database(url)
Path(out + ".ready").touch()
while not gate.exists():
    time.sleep(0.01)
tick = scheduler.run_due(db, now, batch=20)
Path(out).write_text(json.dumps({"claimed": claimed, "tick": tick.as_dict()}))
db.dispose()
"""


def _claimer(
    url: str, now: datetime, gate: Path, out: Path, env: dict[str, str]
) -> subprocess.Popen[str]:
    """A Python process that waits at the gate, runs one tick and writes what it claimed."""
    command = [sys.executable, "-c", _CLAIMER, url, now.isoformat(), str(gate), str(out)]
    return subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


@pytest.mark.postgres
def test_two_scheduler_processes_on_postgresql_never_claim_the_same_enrolment(
    tmp_path: Path, postgres_url: str
) -> None:
    db = Database(postgres_url)
    try:
        ids = _setup(db, PEOPLE)
        with db.session() as session:
            sequence = session.scalars(select(Sequence)).one()
            for subscriber_id in ids:
                scheduler.enroll(session, sequence, subscriber_id, utcnow())
            everyone = set(session.scalars(select(Enrolment.id)))
        now = utcnow() + timedelta(seconds=5)
        gate = tmp_path / "go"
        env = {**os.environ, "EVERGREEN_DATA_DIR": str(tmp_path / "data")}
        processes = [
            _claimer(postgres_url, now, gate, tmp_path / f"claimed{n}.json", env) for n in (1, 2)
        ]
        try:
            deadline = time.monotonic() + 120
            ready = [tmp_path / f"claimed{n}.json.ready" for n in (1, 2)]
            while not all(r.exists() for r in ready) and time.monotonic() < deadline:
                time.sleep(0.01)  # both interpreters up and waiting at the gate
            gate.touch()
            for process in processes:
                _, err = process.communicate(timeout=300)
                assert process.returncode == 0, err
        finally:
            for process in processes:
                if process.poll() is None:
                    os.kill(process.pid, signal.SIGKILL)
                    process.wait(timeout=30)
        results = [json.loads((tmp_path / f"claimed{n}.json").read_text()) for n in (1, 2)]
        one, two = (r["claimed"] for r in results)
        assert len(one) == len(set(one))
        assert len(two) == len(set(two))
        assert one, "both schedulers should have claimed a share"
        assert two, "both schedulers should have claimed a share"
        assert set(one).isdisjoint(two)
        assert set(one) | set(two) == everyone  # together they covered everything due
        assert sum(r["tick"]["queued"] for r in results) == PEOPLE
        assert sum(r["tick"]["failed"] for r in results) == 0
        assert _sends(db, "welcome") == Counter((i, "queued") for i in ids)
    finally:
        db.dispose()


def test_someone_who_unsubscribes_mid_sequence_gets_nothing_more(
    tmp_path: Path, db: Database
) -> None:
    """Even a step already queued for them when they leave is not sent, nor any later one."""
    ids = _setup(db, 3)
    with db.session() as session:
        list_id = audience.list_named(session, "News").id
    t0 = utcnow() + timedelta(seconds=5)
    with smtp_server() as (handler, port):
        outbox = _outbox(tmp_path, port)
        assert scheduler.run_due(db, t0, outbox=outbox).sent == 3
        queued = scheduler.run_due(db, t0 + TWO_DAYS)  # step two queued, not yet sent
        assert queued.queued == 3
        with db.session() as session:
            audience.unsubscribe(session, SECRET, ids[0], list_id)
        report = mail.send_due(db, outbox, clock=lambda: t0 + TWO_DAYS)
        assert report.sent == 2
        later = [scheduler.run_due(db, t0 + k * TWO_DAYS, outbox=outbox) for k in (2, 3, 4)]
    leaver = "p0000@example.com"
    assert [later[0].sent, later[0].exited] == [2, 1]
    assert sum(t.sent for t in later[1:]) == 0
    assert _received(handler, "Welcome")[leaver] == 1
    assert _received(handler, "Second")[leaver] == 0
    assert _received(handler, "Third")[leaver] == 0
    assert _received(handler, "Third") == Counter({"p0001@example.com": 1, "p0002@example.com": 1})
    with db.session(writer=False) as session:
        row = session.scalars(select(Enrolment).where(Enrolment.subscriber_id == ids[0])).one()
        assert (row.status, row.exit_reason) == ("exited", "unsubscribed")
        card = audience_queries.card(session, ids[0])
        assert card is not None
        assert card.lists == {"News": "unsubscribed"}
    assert (ids[0], "sent") not in _sends(db, "second")


def test_a_program_edited_within_a_unit_of_work_is_parsed_again(db: Database) -> None:
    """The scheduler parses each program once per batch; an edit must not be missed."""
    _setup(db, 1)
    with db.session() as session:
        sequence = session.scalars(select(Sequence)).one()
        first = scheduler._parsed(session, sequence)
        assert scheduler._parsed(session, sequence) is first  # once per unit of work
        assert not first.asks  # no goal or branch: tags and opens are not read
        assert set(first.refs) == {"welcome", "second", "third"}
        goal = {"kind": "goal", "condition": {"kind": "tag", "name": "buyer"}}
        steps = [goal, *sequence.program["steps"]]
        sequence.program = {**sequence.program, "steps": steps}
        again = scheduler._parsed(session, sequence)
    assert again is not first
    assert again.asks
    assert len(again.program.steps) == len(first.program.steps) + 1
