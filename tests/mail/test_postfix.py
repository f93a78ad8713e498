"""Debian's postfix as a real component (issue 12), on SQLite and PostgreSQL: a broadcast to an
unknown local user comes back as postfix's own DSN in a Maildir that Evergreen's poller reads,
and a broadcast through smtp-sink is accepted whole."""

from __future__ import annotations

import email
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from evergreen.audience import queries as audience_queries
from evergreen.audience import service as audience
from evergreen.audience.rules import Source
from evergreen.db import Database
from evergreen.mail import service
from evergreen.mail.models import MailBounce, MailSend
from evergreen.mail.service import Draft
from tests.mail.postfix import (
    Postfix,
    free_port,
    open_folder,
    postfix_instance,
    require_postfix,
    smtp_sink,
    wait_until,
)
from tests.mail.smtp_server import outbox_for

SECRET = "test-secret-for-mail-postfix-0123456789ab"
SITE = "http://127.0.0.1:8000"


@pytest.fixture
def postfix() -> Iterator[Postfix]:
    with postfix_instance(local_domain="example.org", bounce_domain="example.com") as running:
        yield running


def _outbox(tmp_path: Path, port: int) -> service.Outbox:
    return outbox_for(tmp_path, port, SECRET, SITE)


def _broadcast(db: Database, emails: list[str]) -> int:
    with db.session() as session:
        list_id = audience.create_list(session, "News", double_opt_in=False).id
        for address in emails:
            audience.subscribe(session, SECRET, address, list_id, audience.Consent(Source.API))
        broadcast_id = service.create_broadcast(
            session, Draft("Hello {{ subscriber.email }}", "Hi\n\n[Read](https://example.org/a)",
                           list_id),
        ).id  # fmt: skip
        assert service.act(session, broadcast_id, "send").status == "sending"
    return broadcast_id


def _statuses(db: Database, broadcast_id: int) -> dict[str, str]:
    with db.session(writer=False) as session:
        rows = session.execute(
            select(MailSend.subscriber_id, MailSend.status).where(
                MailSend.message_id == broadcast_id
            )
        )
        found = {}
        for subscriber_id, status in rows:
            card = audience_queries.card(session, subscriber_id)
            assert card is not None
            found[card.email] = status
        return found


@pytest.mark.postfix
def test_an_unknown_local_user_bounces_through_postfix_and_the_poller_suppresses_them(
    db: Database, postfix: Postfix, tmp_path: Path
) -> None:
    ghost, reader = "ghost@example.org", "reader@example.com"  # no such user; delivered
    broadcast_id = _broadcast(db, [ghost, reader])
    report = service.send_due(db, _outbox(tmp_path, postfix.port), wait=True)
    assert report.sent == 2  # postfix took both at DATA: the failure comes later, as a DSN
    assert _statuses(db, broadcast_id) == {ghost: "sent", reader: "sent"}

    applied: list[int] = []

    def bounced() -> bool:
        applied.append(service.poll_maildir(db, SECRET, postfix.maildir))
        return _statuses(db, broadcast_id)[ghost] == "bounced"

    try:
        wait_until(bounced, 30, "the DSN reaching the Maildir and being applied")
    except TimeoutError as exc:
        raise AssertionError(f"{exc}\n{postfix.log_text()}") from None
    assert _statuses(db, broadcast_id) == {ghost: "bounced", reader: "sent"}
    with db.session(writer=False) as session:
        person = audience_queries.find_by_email(session, ghost)
        assert person is not None
        assert person.suppressed == "bounced"
        still = audience_queries.find_by_email(session, reader)
        assert still is not None
        assert still.suppressed is None  # the reader's own copy in the Maildir is no bounce
        bounce = session.scalars(select(MailBounce)).one()
        assert (bounce.address, bounce.kind, bounce.status) == (ghost, "hard", "5.1.1")
        assert (bounce.subscriber_id, bounce.message_id) == (person.id, broadcast_id)
        assert 'unknown user: "ghost"' in bounce.diagnostic
        row = session.scalars(select(MailSend).where(MailSend.subscriber_id == person.id)).one()
        assert row.error.startswith("5.1.1")
    # What postfix wrote: its DSN, to the VERP return path, read once and moved to cur/.
    assert not list((postfix.maildir / "new").iterdir())
    kept = [email.message_from_bytes(p.read_bytes()) for p in (postfix.maildir / "cur").iterdir()]
    dsn = [m for m in kept if m.get_content_type() == "multipart/report"]
    assert len(dsn) == 1
    assert dsn[0]["From"] == "Mail Delivery System <MAILER-DAEMON@example.org>"
    assert str(dsn[0]["To"]).startswith("bounces+b-")
    assert sum(applied) == len(kept) == 2  # the DSN and the reader's message, each once


@pytest.mark.postfix
def test_a_broadcast_through_smtp_sink_is_accepted_whole(db: Database, tmp_path: Path) -> None:
    require_postfix("smtp-sink")
    emails = [f"reader{i:02d}@example.org" for i in range(50)]
    broadcast_id = _broadcast(db, emails)
    port = free_port()
    with open_folder("evergreen-sink-") as folder:
        dump = folder / "dump"
        dump.mkdir()
        with smtp_sink(port, dump=dump):
            report = service.send_due(db, _outbox(tmp_path, port), wait=True)
        messages = [p.read_bytes() for p in dump.iterdir()]
    assert report.sent == 50
    assert set(_statuses(db, broadcast_id).values()) == {"sent"}
    # smtp-sink dumped each transaction, headed by its envelope: one message per person.
    recipients: list[str] = []
    for raw in messages:
        dumped = email.message_from_bytes(raw)
        assert str(dumped["X-Mail-Args"]).startswith("<bounces+b-")  # the VERP return path
        recipients += [str(arg).split(">")[0].removeprefix("<")
                       for arg in dumped.get_all("X-Rcpt-Args", [])]  # fmt: skip
        assert dumped["Subject"] == f"Hello {dumped['To']}"
    assert sorted(recipients) == emails


def test_missing_postfix_skips_here_and_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.mail import postfix as helper

    monkeypatch.setattr(helper, "find_program", lambda name: None)
    monkeypatch.setattr(helper, "IN_CI", False)
    with pytest.raises(pytest.skip.Exception, match="smtp-sink not found"):
        helper.require_postfix("smtp-sink")
    monkeypatch.setattr(helper, "IN_CI", True)
    with pytest.raises(pytest.fail.Exception, match="may not skip under CI"):
        helper.require_postfix("smtp-sink")
    monkeypatch.setattr(helper, "find_program", lambda name: f"/usr/sbin/{name}")
    monkeypatch.setattr(helper.os, "geteuid", lambda: 1000)
    assert helper.require_postfix("smtp-sink") == {"smtp-sink": "/usr/sbin/smtp-sink"}
    with pytest.raises(pytest.fail.Exception, match="needs root"):
        helper.require_postfix("postfix", root=True)
