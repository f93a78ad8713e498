"""Broadcasts on SQLite and PostgreSQL against a real SMTP server (aiosmtpd): queueing once,
sending everyone once, pause/resume, bounces at RCPT, cancel, skipped leavers, finished."""

from __future__ import annotations

import email
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from evergreen.audience import queries as audience_queries
from evergreen.audience import service as audience
from evergreen.audience.rules import Source
from evergreen.db import Database, utcnow
from evergreen.mail import queries, service
from evergreen.mail.errors import MailInputError
from evergreen.mail.models import MailSend
from evergreen.mail.service import Draft
from evergreen.mail.service.composing import Composer
from tests.mail.smtp_server import FaultyHandler, outbox_for, smtp_server

SECRET = "test-secret-for-mail-broadcasts-0123456789"
SITE = "http://127.0.0.1:8000"


@pytest.fixture
def smtp() -> Iterator[tuple[FaultyHandler, int]]:
    with smtp_server() as running:
        yield running


def _outbox(tmp_path: Path, port: int) -> service.Outbox:
    return outbox_for(tmp_path, port, SECRET, SITE)


def _people(db: Database, emails: list[str], name: str = "News") -> int:
    with db.session() as session:
        list_id = audience.create_list(session, name, double_opt_in=False).id
        for address in emails:
            audience.subscribe(session, SECRET, address, list_id, audience.Consent(Source.API))
    return list_id


def _broadcast(db: Database, list_id: int, body: str = "Hi {{ subscriber.name }}") -> int:
    with db.session() as session:
        row = service.create_broadcast(
            session,
            Draft(
                "Hello {{ subscriber.email }}", body + "\n\n[Read](https://example.org/a)", list_id
            ),
        )
        return row.id


def _act(db: Database, broadcast_id: int, action: str) -> str:
    with db.session() as session:
        return service.act(session, broadcast_id, action).status


def _received(handler: FaultyHandler) -> list[str]:
    return sorted(rcpt for envelope in handler.received for rcpt in envelope.rcpt_tos)


def test_queueing_is_chunked_and_idempotent(db: Database) -> None:
    list_id = _people(db, [f"p{i}@example.com" for i in range(25)] + ["gone@example.com"])
    with db.session() as session:
        gone = audience_queries.find_by_email(session, "gone@example.com")
        assert gone is not None
        audience.unsubscribe(session, SECRET, gone.id, list_id)
    broadcast_id = _broadcast(db, list_id)
    with db.session() as session:
        row = service.get_broadcast(session, broadcast_id)
        assert service.queue(session, row, utcnow(), chunk=7) == 25
        assert service.queue(session, row, utcnow(), chunk=4) == 25  # nobody twice
        assert session.scalar(select(func.count()).select_from(MailSend)) == 25


def test_a_broadcast_reaches_every_subscriber_once_and_finishes(
    db: Database, smtp: tuple[FaultyHandler, int], tmp_path: Path
) -> None:
    handler, port = smtp
    emails = [f"p{i}@example.com" for i in range(12)]
    list_id = _people(db, emails)
    broadcast_id = _broadcast(db, list_id)
    assert _act(db, broadcast_id, "send") == "sending"
    report = service.send_due(db, _outbox(tmp_path, port), wait=True, batch=5)
    assert report.sent == 12
    assert _received(handler) == sorted(emails)
    message = email.message_from_bytes(handler.received[0].content)  # type: ignore[arg-type]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"<{SITE}/mail/u/u" in message["List-Unsubscribe"]
    assert "mailto:bounces+u-" in message["List-Unsubscribe"]
    assert handler.received[0].mail_from.startswith("bounces+b-")
    html = next(p for p in message.walk() if p.get_content_type() == "text/html")
    body = html.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert "/go/" in body
    assert "sub1=b" in body
    assert "sub2=c" in body  # tracked through links
    assert f"{SITE}/mail/o/o" in body  # the open pixel
    with db.session() as session:
        card = queries.broadcast_card(session, broadcast_id)
        assert card is not None
        assert (card.status, card.counts) == ("finished", {"sent": 12})
    # Sending again sends nobody anything.
    assert service.send_due(db, _outbox(tmp_path, port)).sent == 0
    assert len(handler.received) == 12


def test_pause_and_resume_send_nobody_twice(
    db: Database, smtp: tuple[FaultyHandler, int], tmp_path: Path
) -> None:
    handler, port = smtp
    emails = [f"p{i:02d}@example.com" for i in range(30)]
    broadcast_id = _broadcast(db, _people(db, emails))
    _act(db, broadcast_id, "send")
    batches = iter(range(100))

    def pause_after_two_batches() -> bool:
        if next(batches) == 2:
            _act(db, broadcast_id, "pause")
        return False

    outbox = _outbox(tmp_path, port)
    service.send_due(db, outbox, batch=5, stop=pause_after_two_batches)
    assert len(handler.received) == 10
    with db.session(writer=False) as session:
        assert service.get_broadcast(session, broadcast_id).status == "paused"
    assert service.send_due(db, outbox, batch=5).sent == 0  # paused: nothing goes
    _act(db, broadcast_id, "resume")
    service.send_due(db, outbox, batch=5, wait=True)
    assert _received(handler) == sorted(emails)  # everyone, once


def test_refusals_bounce_defer_and_leavers_are_skipped(
    db: Database, smtp: tuple[FaultyHandler, int], tmp_path: Path
) -> None:
    handler, port = smtp
    list_id = _people(db, ["ok@example.com", "hard1@example.com", "temp1@example.com",
                           "left@example.com"])  # fmt: skip
    broadcast_id = _broadcast(db, list_id)
    _act(db, broadcast_id, "send")
    with db.session() as session:
        left = audience_queries.find_by_email(session, "left@example.com")
        assert left is not None
        audience.unsubscribe(session, SECRET, left.id, list_id)
    service.send_due(db, _outbox(tmp_path, port))
    with db.session() as session:
        found = service.counts(session, broadcast_id)
        assert found == {"sent": 1, "bounced": 1, "deferred": 1, "skipped": 1}
        hard = audience_queries.find_by_email(session, "hard1@example.com")
        assert hard is not None
        assert hard.suppressed == "bounced"
        assert service.get_broadcast(session, broadcast_id).status == "sending"
    # The deferred one is tried again on the schedule; cancelling skips it and finishes nothing.
    later = utcnow() + timedelta(hours=1)
    service.send_due(db, _outbox(tmp_path, port), clock=lambda: later)
    with db.session() as session:
        assert service.counts(session, broadcast_id)["deferred"] == 1
        row = session.scalar(select(MailSend).where(MailSend.status == "deferred"))
        assert row is not None
        assert row.attempts == 2
    assert _act(db, broadcast_id, "cancel") == "cancelled"
    with db.session() as session:
        assert service.counts(session, broadcast_id).get("deferred", 0) == 0
    assert _received(handler) == ["ok@example.com"]


def test_waiting_for_deferred_messages_is_said_once_with_when(
    db: Database, smtp: tuple[FaultyHandler, int], tmp_path: Path
) -> None:
    _, port = smtp
    list_id = _people(db, ["ok@example.com", "temp1@example.com"])
    _act(db, _broadcast(db, list_id), "send")
    heard: list[datetime] = []
    started = utcnow()
    report = service.send_due(
        db, _outbox(tmp_path, port), wait=True, max_sleep_s=0.05, on_wait=heard.append,
        stop=lambda: utcnow() - started > timedelta(seconds=2),
    )  # fmt: skip
    assert (report.sent, report.deferred) == (1, 1)
    # Once, though the loop woke every 0.05 s for 2 s: the deferred one is due in a minute.
    assert len(heard) == 1
    assert timedelta(seconds=55) < heard[0] - started < timedelta(seconds=65)
    assert "waiting until" in service.waiting_line(heard[0])
    assert f"{heard[0]:%H:%M:%S} UTC" in service.waiting_line(heard[0])


def test_only_drafts_are_edited_and_bad_input_is_refused(db: Database) -> None:
    list_id = _people(db, ["a@example.com"])
    with db.session() as session:
        with pytest.raises(MailInputError) as refused:
            service.create_broadcast(session, Draft("", "body", list_id))
        assert refused.value.field == "subject"
        with pytest.raises(MailInputError):
            service.create_broadcast(session, Draft("Hi {% for %}", "body", list_id))
    broadcast_id = _broadcast(db, list_id)
    _act(db, broadcast_id, "send")
    with db.session() as session:
        with pytest.raises(MailInputError) as refused:
            service.edit_broadcast(session, broadcast_id, Draft("New", "x", list_id))
        assert "cannot edit a sending broadcast" in refused.value.message


def test_a_scheduled_broadcast_starts_when_due(
    db: Database, smtp: tuple[FaultyHandler, int], tmp_path: Path
) -> None:
    handler, port = smtp
    broadcast_id = _broadcast(db, _people(db, ["a@example.com"]))
    with db.session() as session:
        service.act(session, broadcast_id, "schedule", scheduled_at=utcnow() + timedelta(minutes=5))
    assert service.send_due(db, _outbox(tmp_path, port)).sent == 0
    later = utcnow() + timedelta(minutes=6)
    assert service.send_due(db, _outbox(tmp_path, port), clock=lambda: later).sent == 1
    assert len(handler.received) == 1
    time.sleep(0)


@pytest.mark.parametrize("smtputf8", [False, True], ids=["ascii-server", "smtputf8-server"])
def test_a_non_ascii_address_never_stops_the_broadcast(
    db: Database, tmp_path: Path, smtputf8: bool
) -> None:
    emails = ["a@example.com", "ü@example.com", "b@example.com"]
    with smtp_server(FaultyHandler(smtputf8=smtputf8)) as (handler, port):
        broadcast_id = _broadcast(db, _people(db, emails))
        _act(db, broadcast_id, "send")
        report = service.send_due(db, _outbox(tmp_path, port))
    if smtputf8:  # the server takes it: sent like the others
        assert (report.sent, report.failed) == (3, 0)
        assert _received(handler) == sorted(emails)
        return
    assert (report.sent, report.failed) == (2, 1)
    assert _received(handler) == ["a@example.com", "b@example.com"]
    with db.session() as session:
        row = service.get_broadcast(session, broadcast_id)
        assert (row.status, service.counts(session, broadcast_id)) == (
            "finished", {"sent": 2, "failed": 1},
        )  # fmt: skip
        failed = session.scalar(select(MailSend).where(MailSend.status == "failed"))
        assert failed is not None
        assert failed.error == ("the mail server does not accept non-ASCII addresses (no SMTPUTF8)")
        person = audience_queries.find_by_email(session, "ü@example.com")
        assert person is not None
        assert person.suppressed is None  # our server's limit, not their address's fault


def test_a_message_that_cannot_be_composed_fails_alone(
    db: Database, smtp: tuple[FaultyHandler, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    handler, port = smtp
    real = Composer.compose

    def broken(self: Composer, session: Any, plan: Any, person: Any, now: datetime) -> Any:
        if person.email.startswith("bug"):
            raise KeyError("a bug in one message")
        return real(self, session, plan, person, now)

    monkeypatch.setattr(Composer, "compose", broken)
    broadcast_id = _broadcast(db, _people(db, ["a@example.com", "bug@example.com"]))
    _act(db, broadcast_id, "send")
    report = service.send_due(db, _outbox(tmp_path, port))
    assert (report.sent, report.failed) == (1, 1)
    assert _received(handler) == ["a@example.com"]
    with db.session() as session:
        failed = session.scalar(select(MailSend).where(MailSend.status == "failed"))
        assert failed is not None
        assert failed.error == "could not be composed (KeyError: 'a bug in one message')"
        assert service.get_broadcast(session, broadcast_id).status == "finished"
