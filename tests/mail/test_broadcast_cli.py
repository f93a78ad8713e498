"""`evergreen mail broadcast … --send --wait` and `evergreen mail bounce FILE --json` as the
contract states them, against a real SMTP server; and kill -9 in the middle of a broadcast:
after a restart everyone has it, and only the messages in flight at the kill may have gone
twice, counted and reported."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from evergreen import migrate
from evergreen.audience import queries as audience_queries
from evergreen.audience import service as audience
from evergreen.audience.rules import Source
from evergreen.audience.service import segments
from evergreen.db import Database
from evergreen.mail import service as mail_service
from evergreen.mail.models import Broadcast
from evergreen.mail.service.delivery import BATCH
from tests.cli_helpers import evergreen, refused
from tests.mail.smtp_server import FaultyHandler, all_closed, smtp_env, smtp_server

SEED_SECRET = "seed-secret-for-the-cli-tests-0123456789"


def _env(tmp_path: Path, port: int) -> dict[str, str]:
    return {
        **os.environ, "EVERGREEN_DATA_DIR": str(tmp_path / "data"),
        **smtp_env(port, "news@example.com"),
    }  # fmt: skip


def _run(
    tmp_path: Path, port: int, *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "evergreen.cli", *args],
        capture_output=True, text=True, env=_env(tmp_path, port), timeout=timeout, check=False,
    )  # fmt: skip


def _seed(tmp_path: Path, emails: list[str]) -> None:
    """A migrated database in the data folder with a single opt-in list of these people."""
    (tmp_path / "data").mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{tmp_path / 'data' / 'evergreen.db'}"
    migrate.upgrade(url)
    db = Database(url)
    try:
        with db.session() as session:
            news = audience.create_list(session, "News", double_opt_in=False).id
            for address in emails:
                audience.subscribe(session, SEED_SECRET, address, news,
                                   audience.Consent(Source.IMPORT))  # fmt: skip
    finally:
        db.dispose()


def _dsn(to: str, failed: str, status: str) -> bytes:
    return (
        f"From: MAILER-DAEMON@mx.example.org\r\nTo: {to}\r\nSubject: Undelivered Mail\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n\r\n'
        "--b1\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--b1\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.org\r\n\r\n"
        f"Final-Recipient: rfc822; {failed}\r\nAction: failed\r\nStatus: {status}\r\n"
        f"Diagnostic-Code: smtp; 550 {status} no such user\r\n\r\n--b1--\r\n"
    ).encode()


def _show(tmp_path: Path, port: int, address: str) -> dict[str, Any]:
    done = _run(tmp_path, port, "audience", "show", address, "--json")
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def test_broadcast_send_wait_then_bounces_applied(tmp_path: Path) -> None:
    _seed(tmp_path, ["ann@example.com", "bob@example.com", "hard-x@example.com"])
    body = tmp_path / "body.md"
    body.write_text("Hello {{ subscriber.name or 'friend' }}, [read](https://example.org/p)\n")
    with smtp_server() as (handler, port):
        done = _run(tmp_path, port, "mail", "broadcast", "--list", "News", "--subject",
                    "Weekly", "--body-file", str(body), "--send", "--wait")  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == {"sent": 2, "skipped": 0, "failed": 1}
        assert sorted(r for e in handler.received for r in e.rcpt_tos) == [
            "ann@example.com", "bob@example.com",
        ]  # fmt: skip
        return_path = next(e.mail_from for e in handler.received if "bob" in e.rcpt_tos[0])
        assert _show(tmp_path, port, "hard-x@example.com")["status"] == "bounced"  # 550 at RCPT

        dsn = tmp_path / "dsn.eml"
        dsn.write_bytes(_dsn(return_path, "bob@example.com", "5.1.1"))
        read = _run(tmp_path, port, "mail", "bounce", str(dsn), "--json")
        assert read.returncode == 0, read.stderr
        assert json.loads(read.stdout) == {
            "bounce": True,
            "recipients": [{"address": "bob@example.com", "kind": "hard", "status": "5.1.1"}],
        }
        assert _show(tmp_path, port, "bob@example.com")["status"] == "bounced"

        soft = tmp_path / "soft.eml"
        soft.write_bytes(_dsn("bounces@example.com", "ann@example.com", "4.2.2"))
        for expected in ("subscribed", "subscribed", "bounced"):  # the third within 30 days
            read = _run(tmp_path, port, "mail", "bounce", str(soft), "--json")
            assert json.loads(read.stdout)["recipients"][0]["kind"] == "soft"
            assert _show(tmp_path, port, "ann@example.com")["status"] == expected

        plain = tmp_path / "hello.eml"
        plain.write_bytes(
            b"From: a@example.com\r\nTo: news@example.com\r\nSubject: hi\r\n\r\nHi!\r\n"
        )
        read = _run(tmp_path, port, "mail", "bounce", str(plain), "--json")
        assert json.loads(read.stdout) == {"bounce": False, "recipients": []}

        listed = _run(tmp_path, port, "mail", "broadcasts", "--json")
        (row,) = json.loads(listed.stdout)
        assert row["status"] == "finished"
        missing = _run(tmp_path, port, "mail", "bounce", str(tmp_path / "nope.eml"), "--json")
        assert missing.returncode == 2
        assert "nope.eml" in missing.stderr


def test_broadcast_to_a_segment_of_the_list(tmp_path: Path) -> None:
    _seed(tmp_path, ["ann@example.com", "bob@example.com"])
    url = f"sqlite:///{tmp_path / 'data' / 'evergreen.db'}"
    db = Database(url)
    try:
        with db.session() as session:
            other = audience.create_list(session, "Other", double_opt_in=False).id
            audience.subscribe(session, SEED_SECRET, "cy@example.com", other,
                               audience.Consent(Source.IMPORT), tags=["vip"])  # fmt: skip
            ann = audience_queries.find_by_email(session, "ann@example.com")
            assert ann is not None
            audience.add_tags(session, ann.id, ["vip"])
            segments.create_segment(session, "VIPs", "tag:vip")
    finally:
        db.dispose()
    body = tmp_path / "body.md"
    body.write_text("Hello\n")
    with smtp_server() as (handler, port):
        unknown = _run(tmp_path, port, "mail", "broadcast", "--list", "News", "--segment",
                       "Nobody", "--subject", "Hi", "--body-file", str(body), "--send")  # fmt: skip
        assert unknown.returncode == 2
        assert "segment" in unknown.stderr
        assert "Nobody" in unknown.stderr
        assert "Traceback" not in unknown.stderr
        done = _run(tmp_path, port, "mail", "broadcast", "--list", "News", "--segment", "VIPs",
                    "--subject", "Hi", "--body-file", str(body), "--send", "--wait")  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == {"sent": 1, "skipped": 0, "failed": 0}
        assert [r for e in handler.received for r in e.rcpt_tos] == ["ann@example.com"]
        listed = _run(tmp_path, port, "mail", "broadcasts", "--json")
        (row,) = json.loads(listed.stdout)  # the refused one was not kept
        assert (row["segment"], row["status"]) == ("VIPs", "finished")


@dataclass
class _SlowCounting(FaultyHandler):
    """Accepts everything, a little slowly, so a broadcast is still sending when it is killed."""

    delay: float = 0.01

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        await asyncio.sleep(self.delay)
        self.received.append(envelope)
        return "250 2.0.0 queued"


def test_kill_9_mid_broadcast_then_restart_everyone_once_but_the_in_flight(
    tmp_path: Path,
) -> None:
    emails = [f"p{i:04d}@example.com" for i in range(600)]
    _seed(tmp_path, emails)
    body = tmp_path / "body.md"
    body.write_text("Hello\n")
    with smtp_server(_SlowCounting()) as (handler, port):
        process = subprocess.Popen(
            [sys.executable, "-m", "evergreen.cli", "mail", "broadcast", "--list", "News",
             "--subject", "Big", "--body-file", str(body), "--send", "--wait"],
            env=_env(tmp_path, port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 90
        while len(handler.received) < 250 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        # A message the server had read before the kill may still be handled just after it.
        assert all_closed(handler)
        before = len(handler.received)
        assert 250 <= before < 600, "the broadcast should have been killed midway"
        restart = _run(tmp_path, port, "mail", "send", "--wait", "--lease", "0")
        assert restart.returncode == 0, restart.stderr
        report = json.loads(restart.stdout)
    times = Counter(r for e in handler.received for r in e.rcpt_tos)
    assert set(times) == set(emails)  # everyone got it
    twice = sum(n - 1 for n in times.values())
    # At most two batches were in flight: the one on the wire and the one being composed.
    assert twice <= report["maybe_delivered"] <= 2 * BATCH
    assert report["sent"] == 600 - before + twice


def test_the_broadcast_commands_refuse_a_sequence_step_message(
    tmp_path: Path, db: Database, database_url: str
) -> None:
    with db.session() as session:
        news = audience.create_list(session, "News", double_opt_in=False).id
        step = mail_service.create_step_message(session, "Welcome", "Hello", news)
    for action in ("pause", "resume", "cancel"):
        done = evergreen("mail", action, str(step), data_dir=tmp_path / "data",
                         database_url=database_url)  # fmt: skip
        refused(done, f"no broadcast {step}")
    with db.session() as session:
        row = session.get(Broadcast, step)
        assert row is not None
        assert row.status == "sending"
