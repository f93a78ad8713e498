"""One broadcast sent by three real OS processes (`--processes 3`) to a real SMTP server, on
SQLite and PostgreSQL: everyone receives exactly one message, the send log says sent for all and
the counts add up; the server proves the three sent at the same time. A sender killed with -9
leaves its claimed rows to the others after the lease; senders whose command is killed stop
after their batches in flight; the server's minute sends from EVERGREEN_MAIL_SENDERS
processes."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from select import select as wait_readable

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import func, select

from evergreen.audience import service as audience
from evergreen.audience.rules import Source
from evergreen.config import Settings
from evergreen.db import Database
from evergreen.mail import service
from evergreen.mail.models import Broadcast, MailSend
from evergreen.mail.service import Report
from evergreen.mail.service.delivery import BATCH
from evergreen.mail.service.senders import Child, combine
from evergreen.mail.tasks import run_sending
from tests.mail.smtp_server import FaultyHandler, smtp_env, smtp_server
from tests.waiting import wait_for

SECRET = "seed-secret-for-the-senders-tests-0123456789"
# Enough for three processes each to hold two batches (on the wire and being composed).
PEOPLE = [f"p{i:04d}@example.com" for i in range(6 * BATCH)]
POOL = 4  # connections (so messages in flight) per sending process


@dataclass
class _Gate(FaultyHandler):
    """Holds every message at DATA until more are in flight than two processes can have
    (2 * POOL), so it opens only when three processes send at once (or after a bound)."""

    in_flight: int = 0
    peak: int = 0
    opened_by_timeout: bool = False
    delay: float = 0.0
    _open: asyncio.Event | None = None

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self._open is None:
            self._open = asyncio.Event()
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            if self.in_flight > 2 * POOL:
                self._open.set()
            if not self._open.is_set():
                try:
                    await asyncio.wait_for(self._open.wait(), timeout=20)
                except TimeoutError:
                    self.opened_by_timeout = True
                    self._open.set()
            await asyncio.sleep(self.delay)
            self.received.append(envelope)
            return "250 2.0.0 queued"
        finally:
            self.in_flight -= 1


def _env(tmp_path: Path, url: str, port: int) -> dict[str, str]:
    return {
        **os.environ, "EVERGREEN_DATA_DIR": str(tmp_path / "data"),
        "EVERGREEN_DATABASE_URL": url, "EVERGREEN_SMTP_POOL": str(POOL),
        **smtp_env(port, "news@example.com"),
    }  # fmt: skip


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "evergreen.cli", *args]


def _seed(url: str) -> None:
    db = Database(url)
    try:
        with db.session() as session:
            news = audience.create_list(session, "News", double_opt_in=False).id
            for address in PEOPLE:
                audience.subscribe(session, SECRET, address, news, audience.Consent(Source.IMPORT))
    finally:
        db.dispose()


def _send_log(url: str) -> tuple[dict[str, int], str]:
    db = Database(url)
    try:
        with db.session(writer=False) as session:
            found = session.execute(select(MailSend.status, func.count()).group_by(MailSend.status))
            rows = {s: n for s, n in found}  # noqa: C416 (a Result is not a mapping)
            status = session.scalars(select(Broadcast.status)).one()
    finally:
        db.dispose()
    return rows, status


def test_combine_adds_up_the_children_and_counts_the_dead() -> None:
    one, two = Report(sent=3, skipped=1, broadcasts={1}), Report(sent=2, failed=1, broadcasts={2})
    fleet = combine([Child(10, 0, one), Child(11, -9, None), Child(12, 0, two)])
    assert (fleet.total.sent, fleet.total.skipped, fleet.total.failed) == (5, 1, 1)
    assert fleet.total.broadcasts == {1, 2}
    assert fleet.lost == 1
    assert combine([]).lost == 0


def test_three_processes_send_one_broadcast_exactly_once(tmp_path: Path, database_url: str) -> None:
    _seed(database_url)
    body = tmp_path / "body.md"
    body.write_text("Hello {{ subscriber.email }}\n")
    with smtp_server(_Gate()) as (handler, port):
        done = subprocess.run(
            _cli("mail", "broadcast", "--list", "News", "--subject", "Big", "--body-file",
                 str(body), "--send", "--wait", "--processes", "3"),
            capture_output=True, text=True, env=_env(tmp_path, database_url, port), timeout=240,
            check=False,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"sent": len(PEOPLE), "skipped": 0, "failed": 0}
    assert isinstance(handler, _Gate)
    assert not handler.opened_by_timeout, f"only {handler.peak} messages were ever in flight"
    assert handler.peak > 2 * POOL  # three processes were sending at the same time
    times = Counter(r for e in handler.received for r in e.rcpt_tos)
    assert times == Counter(PEOPLE)  # everyone exactly once
    assert _send_log(database_url) == ({"sent": len(PEOPLE)}, "finished")


def _children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _sender_children(pid: int) -> list[int]:
    """The sending processes of `pid`: the children of its fork server (not multiprocessing's
    resource tracker)."""
    servers = [
        child
        for child in _children(pid)
        if b"multiprocessing.forkserver" in Path(f"/proc/{child}/cmdline").read_bytes()
    ]
    return [sender for server in servers for sender in _children(server)]


def _queue(body: Path, env: dict[str, str]) -> None:
    """Queue a broadcast to the News list from the command line, sending nothing."""
    queued = subprocess.run(
        _cli("mail", "broadcast", "--list", "News", "--subject", "Big", "--body-file", str(body),
             "--send"),
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert queued.returncode == 0, queued.stderr


def test_a_killed_sender_leaves_its_rows_to_the_others(tmp_path: Path, database_url: str) -> None:
    _seed(database_url)
    body = tmp_path / "body.md"
    body.write_text("Hello\n")
    with smtp_server(_Gate(delay=0.05)) as (handler, port):
        env = _env(tmp_path, database_url, port)
        _queue(body, env)
        process = subprocess.Popen(
            _cli("mail", "send", "--wait", "--processes", "3", "--lease", "5"),
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        wait_for(lambda: len(handler.received) >= 30, 120, every=0.01)
        children = _sender_children(process.pid)
        assert len(children) == 3
        os.kill(children[0], signal.SIGKILL)
        before = len(handler.received)
        out, err = process.communicate(timeout=180)
    assert before < len(PEOPLE), "the broadcast should have been sending when one was killed"
    assert process.returncode == 1, err
    assert "1 of 3 sending processes ended without a report (exit -9)" in err
    report = json.loads(out)
    times = Counter(r for e in handler.received for r in e.rcpt_tos)
    assert set(times) == set(PEOPLE)  # everyone got it
    twice = sum(n - 1 for n in times.values())
    # At most the dead one's two batches (the one on the wire and the one being composed).
    assert twice <= report["maybe_delivered"] <= 2 * BATCH
    assert _send_log(database_url) == ({"sent": len(PEOPLE)}, "finished")


@dataclass
class _Slow(FaultyHandler):
    """Takes `delay` seconds over each message, so a broadcast is still sending when the test
    acts."""

    delay: float = 0.1

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        await asyncio.sleep(self.delay)
        self.received.append(envelope)
        return "250 2.0.0 queued"


def _running(pid: int) -> bool:
    """Whether a process exists and has not ended (a zombie waiting to be reaped has)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_senders_stop_after_their_batches_in_flight_when_the_command_is_killed(
    tmp_path: Path, database_url: str
) -> None:
    _seed(database_url)
    body = tmp_path / "body.md"
    body.write_text("Hello\n")
    with smtp_server(_Slow()) as (handler, port):
        env = _env(tmp_path, database_url, port)
        _queue(body, env)
        process = subprocess.Popen(
            _cli("mail", "send", "--wait", "--processes", "2", "--lease", "5"),
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(lambda: len(handler.received) >= 10, 120, every=0.01)
        senders = _sender_children(process.pid)
        assert len(senders) == 2
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        before = len(handler.received)
        gone = wait_for(lambda: not any(map(_running, senders)), 90)
        assert gone, "the senders went on without their parent"
        stopped = len(handler.received)
        # Each finished at most its two batches in flight (on the wire, being composed).
        assert stopped <= before + 2 * 2 * BATCH < len(PEOPLE)
        finished = subprocess.run(
            _cli("mail", "send", "--wait", "--lease", "5"),
            capture_output=True, text=True, env=env, timeout=180, check=False,
        )  # fmt: skip
        assert finished.returncode == 0, finished.stderr
    assert Counter(r for e in handler.received for r in e.rcpt_tos) == Counter(PEOPLE)
    assert _send_log(database_url) == ({"sent": len(PEOPLE)}, "finished")


def test_the_command_says_when_it_waits_for_deferred_messages(
    tmp_path: Path, database_url: str
) -> None:
    db = Database(database_url)
    try:
        with db.session() as session:
            news = audience.create_list(session, "News", double_opt_in=False).id
            for address in ("ok@example.com", "temp1@example.com"):
                audience.subscribe(session, SECRET, address, news, audience.Consent(Source.IMPORT))
    finally:
        db.dispose()
    body = tmp_path / "body.md"
    body.write_text("Hello\n")
    with smtp_server() as (handler, port):
        env = _env(tmp_path, database_url, port)
        _queue(body, env)
        process = subprocess.Popen(
            _cli("mail", "send", "--wait", "--processes", "2"),
            env={**env, "COLUMNS": "400"}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        try:
            assert process.stderr is not None
            said, _, _ = wait_readable([process.stderr], [], [], 60)
            line = process.stderr.readline() if said else ""  # its first line: the wait
        finally:
            process.kill()
            process.communicate(timeout=30)  # the senders end within a second of it
    assert "Nothing is due now; waiting until" in line
    assert "UTC for messages the mail server deferred" in line
    assert [r for e in handler.received for r in e.rcpt_tos] == ["ok@example.com"]


@pytest.mark.parametrize("processes", ["0", "65"])
def test_a_bad_number_of_processes_is_refused_in_words(tmp_path: Path, processes: str) -> None:
    done = subprocess.run(
        _cli("mail", "send", "--processes", processes),
        capture_output=True, text=True, env=_env(tmp_path, "", 25), timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "--processes" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_servers_minute_sends_from_mail_senders_processes(tmp_path: Path, db: Database) -> None:
    _seed(db.url)
    with db.session() as session:
        list_id = audience.list_named(session, "News").id
        draft = service.Draft("Hi", "Hello {{ subscriber.email }}", list_id, "markdown")
        service.act(session, service.create_broadcast(session, draft).id, "send")
    with smtp_server() as (handler, port):
        settings = Settings(
            env="test", data_dir=tmp_path / "data", smtp_host="127.0.0.1", smtp_port=port,
            smtp_starttls=False, mail_from="news@example.com", mail_senders=2,
        )  # fmt: skip
        assert run_sending(db, settings) == len(PEOPLE)
    assert Counter(r for e in handler.received for r in e.rcpt_tos) == Counter(PEOPLE)
    assert _send_log(db.url) == ({"sent": len(PEOPLE)}, "finished")
