"""Helpers of the engine's tests: a list with an active sequence, mail settings pointing at the
test SMTP server, a local webhook receiver, webinar registrations at simulated times."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from evergreen.addresses import Addresses
from evergreen.audience import service as audience
from evergreen.audience.rules import Source
from evergreen.db import Database, utcnow
from evergreen.mail import service as mail
from evergreen.sequences import service
from evergreen.sequences.service.actions import Performer
from evergreen.webinars import registrations
from evergreen.webinars import service as webinars
from tests.mail.smtp_server import FaultyHandler, mail_settings

SECRET = "test-secret-for-sequences-engine-0123456789"
SITE = "http://127.0.0.1:8000"
HOOK_SECRET = "hook-secret-0123456789"
LOCAL = Addresses("127.0.0.1", names=True)


def future_day(days: int = 3, hour: int = 10) -> datetime:
    """A whole hour some days from now (simulated ticks run ahead of the real clock)."""
    return (utcnow() + timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)


def outbox(tmp_path: Path, port: int) -> mail.Outbox:
    """The sequence mail outbox at the test SMTP server."""
    return mail.outbox_from_settings(mail_settings(tmp_path, port), SECRET, SITE)


def performer(tmp_path: Path, port: int = 9) -> Performer:
    """A performer mailing the test server and allowed to post to this machine."""
    settings = mail_settings(tmp_path, port, "news@example.com")  # transactional: a bare address
    return Performer(settings, HOOK_SECRET, LOCAL, timeout=3.0)


def make_list(db: Database, name: str = "News") -> int:
    """A single opt-in list."""
    with db.session() as session:
        return audience.create_list(session, name, double_opt_in=False).id


def add_active(
    db: Database, document: dict[str, Any], at: datetime, name: str = "seq", list_name: str = "News"
) -> None:
    """A sequence from `document`, active since `at`."""
    with db.session() as session:
        service.add_sequence(session, name, list_name, document)
        service.set_status(session, name, "active", at)


def subscribe(
    db: Database,
    list_id: int,
    email: str,
    fields: dict[str, Any] | None = None,
    time_zone: str | None = None,
) -> int:
    """Subscribe someone; their id."""
    with db.session() as session:
        done = audience.subscribe(
            session,
            SECRET,
            email,
            list_id,
            audience.Consent(Source.API),
            fields=fields,
            time_zone=time_zone,
        )
        return done.subscriber.id


def add_webinar(db: Database, list_id: int, name: str = "demo") -> int:
    """A webinar every day at 18:00 UTC whose consent joins the list."""
    with db.session() as session:
        draft = webinars.WebinarDraft(
            name=name, duration_minutes=60, schedule="daily:18:00", timezone="UTC",
            list_id=list_id, consent_wording="Send me the reminders.",
        )  # fmt: skip
        return webinars.add_webinar(session, draft).id


def register(
    db: Database, webinar_id: int, email: str, at: datetime, session_start: datetime | None = None
) -> datetime:
    """Register someone at simulated time `at` (consenting to the list); their session start."""
    with db.session() as session:
        done = registrations.register(
            session,
            SECRET,
            webinar_id,
            registrations.RegistrationInput(
                email=email, viewer_timezone="Europe/Berlin", consent=True,
                session_start=session_start,
            ),
            now=at,
        )  # fmt: skip
        return done.registration.session_start.astimezone(UTC)


def got(handler: FaultyHandler) -> list[tuple[str, str]]:
    """(recipient, subject) of every message the SMTP server received, sorted."""
    out = []
    for envelope in handler.received:
        data = envelope.content if isinstance(envelope.content, bytes) else b""
        subject = next(
            (line[9:].decode() for line in data.splitlines() if line.startswith(b"Subject: ")),
            "",
        )
        out += [(rcpt, subject) for rcpt in envelope.rcpt_tos]
    return sorted(out)


class Receiver:
    """A local webhook endpoint that records what it receives; it can be told to fail."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.failures_left = 0
        self.hang_first = 0.0  # seconds the first request waits before it is answered
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.received.append((dict(self.headers), body))
                if outer.hang_first and len(outer.received) == 1:
                    time.sleep(outer.hang_first)
                failing = outer.failures_left > 0
                outer.failures_left -= 1 if failing else 0
                self.send_response(503 if failing else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()
