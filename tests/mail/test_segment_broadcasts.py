"""Broadcasts narrowed by a saved segment and the preference centre's frequency honoured, on
SQLite and PostgreSQL against a real SMTP server (aiosmtpd): only the list's subscribed people
who match the segment when queueing starts get the mail; weekly and monthly people are skipped,
and counted, when a broadcast reached them too recently; transactional mail is never held."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from evergreen.audience import queries as audience_queries
from evergreen.audience import service as audience
from evergreen.audience.rules import Source
from evergreen.audience.service import segments
from evergreen.config import Settings
from evergreen.db import Database, utcnow
from evergreen.mail import service
from evergreen.mail.errors import MailInputError
from evergreen.mail.models import MailSend
from evergreen.mail.service import Draft
from evergreen.mail.transactional import Transactional, send_now
from tests.mail.smtp_server import FaultyHandler, mail_settings, smtp_server

SECRET = "test-secret-for-mail-segments-0123456789"
SITE = "http://127.0.0.1:8000"


@pytest.fixture
def smtp() -> Iterator[tuple[FaultyHandler, int]]:
    with smtp_server() as running:
        yield running


def _settings(tmp_path: Path, port: int) -> Settings:
    return mail_settings(tmp_path, port)


def _outbox(tmp_path: Path, port: int) -> service.Outbox:
    return service.outbox_from_settings(_settings(tmp_path, port), SECRET, SITE)


def _subscribe(db: Database, list_id: int, address: str, **extra: object) -> int:
    with db.session() as session:
        made = audience.subscribe(
            session, SECRET, address, list_id, audience.Consent(Source.API), **extra
        )  # type: ignore[arg-type]
        return made.subscriber.id


def _list(db: Database, name: str) -> int:
    with db.session() as session:
        return audience.create_list(session, name, double_opt_in=False).id


def _draft(db: Database, list_id: int, segment: int | str | None = None) -> int:
    with db.session() as session:
        return service.create_broadcast(session, Draft("Hi", "Hello", list_id, segment=segment)).id


def _received(handler: FaultyHandler) -> list[str]:
    return sorted(rcpt for envelope in handler.received for rcpt in envelope.rcpt_tos)


def _send_all(db: Database, outbox: service.Outbox) -> service.Report:
    return service.send_due(db, outbox, wait=True, batch=50)


def test_only_subscribed_list_members_in_the_segment_get_it(
    db: Database, smtp: tuple[FaultyHandler, int], tmp_path: Path
) -> None:
    handler, port = smtp
    news, other = _list(db, "News"), _list(db, "Other")
    _subscribe(db, news, "buyer@example.com", tags=["buyer"])
    _subscribe(db, news, "reader@example.com")
    left = _subscribe(db, news, "left@example.com", tags=["buyer"])
    _subscribe(db, other, "elsewhere@example.com", tags=["buyer"])  # in the segment, not the list
    gone = _subscribe(db, news, "bounced@example.com", tags=["buyer"])
    with db.session() as session:
        audience.unsubscribe(session, SECRET, left, news)
        audience.suppress(session, SECRET, gone, "bounced")
        buyers = segments.create_segment(session, "Buyers", "tag:buyer").id
        assert service.recipients_now(session, news) == 2
        assert service.recipients_now(session, news, buyers) == 1  # shown before sending
    broadcast_id = _draft(db, news, "Buyers")  # by name
    with db.session() as session:
        row = service.get_broadcast(session, broadcast_id)
        assert (row.segment, row.segment_id) == ("Buyers", buyers)
        assert service.act(session, broadcast_id, "send").recipients == 1

    report = _send_all(db, _outbox(tmp_path, port))
    assert (report.sent, report.skipped) == (1, 0)
    assert _received(handler) == ["buyer@example.com"]


def test_the_audience_is_a_snapshot_taken_when_queueing(
    db: Database, smtp: tuple[FaultyHandler, int], tmp_path: Path
) -> None:
    handler, port = smtp
    news = _list(db, "News")
    ann = _subscribe(db, news, "ann@example.com", tags=["vip"])
    bo = _subscribe(db, news, "bo@example.com")
    with db.session() as session:
        vip = segments.create_segment(session, "VIP", "tag:vip").id
    broadcast_id = _draft(db, news, vip)  # by id
    with db.session() as session:
        service.act(session, broadcast_id, "send")
    with db.session() as session:  # after queueing: neither added nor dropped
        audience.add_tags(session, bo, ["vip"])
        audience.remove_tags(session, ann, ["vip"])
        segments.delete_segment(session, vip)
    _send_all(db, _outbox(tmp_path, port))
    assert _received(handler) == ["ann@example.com"]
    with db.session(writer=False) as session:
        row = service.get_broadcast(session, broadcast_id)
        assert (row.status, row.segment, row.segment_id) == ("finished", "VIP", None)


def test_a_deleted_or_unknown_segment_is_refused_never_widened(db: Database) -> None:
    news = _list(db, "News")
    _subscribe(db, news, "ann@example.com")
    with pytest.raises(MailInputError) as unknown:
        _draft(db, news, "Nobody saved this")
    assert unknown.value.field == "segment"
    with pytest.raises(MailInputError) as missing_id:
        _draft(db, news, 987654)
    assert missing_id.value.field == "segment"
    with db.session() as session:
        doomed = segments.create_segment(session, "Doomed", "tag:x").id
    broadcast_id = _draft(db, news, doomed)
    with db.session() as session:
        segments.delete_segment(session, doomed)
    with db.session() as session, pytest.raises(MailInputError) as deleted:
        service.act(session, broadcast_id, "send")
    assert deleted.value.field == "segment"
    assert "Doomed" in deleted.value.message
    with db.session() as session:  # choosing none sends to the list, on purpose
        service.edit_broadcast(session, broadcast_id, Draft("Hi", "Hello", news, segment=None))
        assert service.act(session, broadcast_id, "send").recipients == 1


def _backdate(db: Database, subscriber_id: int, ago: timedelta) -> None:
    with db.session() as session:
        session.execute(
            update(MailSend)
            .where(MailSend.subscriber_id == subscriber_id)
            .values(sent_at=utcnow() - ago)
        )


def test_frequency_skips_and_counts_people_who_had_a_broadcast_too_recently(
    db: Database, smtp: tuple[FaultyHandler, int], tmp_path: Path
) -> None:
    handler, port = smtp
    outbox = _outbox(tmp_path, port)
    news = _list(db, "News")
    people = {
        name: _subscribe(db, news, f"{name}@example.com", fields=fields)
        for name, fields in (
            ("weekly3", {"frequency": "weekly"}),
            ("weekly8", {"frequency": "weekly"}),
            ("monthly8", {"frequency": "monthly"}),
            ("all", {"frequency": "all"}),
            ("never", {}),
        )
    }
    first = _draft(db, news)
    with db.session() as session:
        service.act(session, first, "send")
    assert _send_all(db, outbox).sent == 5
    _backdate(db, people["weekly3"], timedelta(days=3))
    _backdate(db, people["weekly8"], timedelta(days=8))
    _backdate(db, people["monthly8"], timedelta(days=8))
    handler.received.clear()

    second = _draft(db, news)
    with db.session() as session:
        service.act(session, second, "send")
    report = _send_all(db, outbox)
    assert (report.sent, report.skipped) == (3, 2)
    assert _received(handler) == ["all@example.com", "never@example.com", "weekly8@example.com"]
    with db.session(writer=False) as session:
        assert service.summary(service.counts(session, second)) == {
            "sent": 3, "skipped": 2, "failed": 0,
        }  # fmt: skip
        reasons = dict(
            session.execute(
                select(MailSend.subscriber_id, MailSend.error).where(
                    MailSend.message_id == second, MailSend.status == "skipped"
                )
            ).all()
        )
        assert reasons == {
            people["weekly3"]: "frequency: weekly",
            people["monthly8"]: "frequency: monthly",
        }
        assert service.get_broadcast(session, second).status == "finished"


def test_two_broadcasts_at_once_reach_a_weekly_person_once(
    db: Database, smtp: tuple[FaultyHandler, int], tmp_path: Path
) -> None:
    handler, port = smtp
    news = _list(db, "News")
    _subscribe(db, news, "weekly@example.com", fields={"frequency": "weekly"})
    _subscribe(db, news, "all@example.com")
    ids = [_draft(db, news), _draft(db, news)]
    with db.session() as session:
        for broadcast_id in ids:
            service.act(session, broadcast_id, "send")
    report = _send_all(db, _outbox(tmp_path, port))
    assert (report.sent, report.skipped) == (3, 1)
    assert _received(handler) == ["all@example.com", "all@example.com", "weekly@example.com"]


def test_transactional_mail_ignores_the_frequency(
    db: Database, smtp: tuple[FaultyHandler, int], tmp_path: Path
) -> None:
    handler, port = smtp
    news = _list(db, "News")
    _subscribe(db, news, "weekly@example.com", fields={"frequency": "weekly"})
    broadcast_id = _draft(db, news)
    with db.session() as session:
        service.act(session, broadcast_id, "send")
    assert _send_all(db, _outbox(tmp_path, port)).sent == 1
    with db.session(writer=False) as session:
        person = audience_queries.find_by_email(session, "weekly@example.com")
        assert person is not None
        assert person.fields["frequency"] == "weekly"
    note = Transactional("weekly@example.com", "Your receipt", "<p>Thanks</p>")
    plain = _settings(tmp_path, port).model_copy(update={"mail_from": "news@example.com"})
    delivery = send_now(plain, note)
    assert delivery.outcome == "sent"
    assert _received(handler) == ["weekly@example.com", "weekly@example.com"]
