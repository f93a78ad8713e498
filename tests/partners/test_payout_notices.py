"""Partner mail through a real SMTP server (aiosmtpd): payout notices (amount, period, method;
one per payout and partner however often it is marked paid; a deferred one retried) and the
owner's portal invitations mailed as well as shown."""

from __future__ import annotations

import email
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from evergreen.db import Database, utcnow
from evergreen.partners import service
from evergreen.partners.models import Commission, Partner, PayoutNotice
from evergreen.partners.rules import EventType
from evergreen.partners.service.payouts import create_payout, mark_paid
from evergreen.web import create_app
from tests.accounts.test_forgot_password import mail_settings
from tests.http_helpers import csrf_from, sign_in
from tests.mail.smtp_server import FaultyHandler, smtp_server
from tests.partners.test_payouts import T0, _approve_all, _event, _program


def _text(envelope: object) -> str:
    message = email.message_from_bytes(envelope.content)  # type: ignore[attr-defined]
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    return str(part.get_payload(decode=True).decode())  # type: ignore[union-attr]


@pytest.fixture
def smtp() -> Iterator[tuple[FaultyHandler, int]]:
    with smtp_server() as running:
        yield running


def _paid_payout(db: Database, ana_email: str = "ana@example.com") -> int:
    """A payout paying Ana 30.00 and Ben 45.00 (USD), marked paid."""
    with db.session() as session:
        program = _program(session)
        session.execute(
            update(Partner).where(Partner.name == "Ana").values(email=ana_email)
        )  # the portal address the notice goes to
        session.execute(
            update(Partner)
            .where(Partner.name == "Ben")
            .values(payout_method="wise", payout_details={"email": "ben@pay.example"})
        )
        _event(session, program, "s1", EventType.SALE, "100", "ANA", "cus_a", "o1")
        _event(session, program, "s2", EventType.SALE, "150", "BEN", "cus_b", "o2")
        _approve_all(session, program)
        payout = create_payout(session, program, actor="owner", now=T0 + timedelta(days=40))
        assert payout is not None
        mark_paid(session, program, payout.id, actor="owner", now=utcnow())
        return payout.id


def test_each_partner_gets_one_notice_with_amount_period_and_method(
    tmp_path: Path, database_url: str, db: Database, smtp: tuple[FaultyHandler, int]
) -> None:
    handler, port = smtp
    settings = mail_settings(tmp_path, database_url, port)
    payout_id = _paid_payout(db)
    assert service.send_due_notices(db, settings, payout_id=payout_id) == (2, 0)
    by_rcpt = {e.rcpt_tos[0]: _text(e) for e in handler.received}
    assert set(by_rcpt) == {"ana@example.com", "ben@example.com"}
    ben = by_rcpt["ben@example.com"]
    assert "45.00 USD" in ben
    assert f"payout #{payout_id}" in ben
    with db.session(writer=False) as session:
        earned = session.scalars(select(Commission.created_at)).first()
    assert earned is not None
    assert f"Commissions earned: {earned.date().isoformat()}" in ben  # the period: one day
    assert "Wise (ben@pay.example)" in ben
    assert f"evergreen-payout-{payout_id}-partner-" in ben
    assert "30.00 USD" in by_rcpt["ana@example.com"]

    # Marking paid again, and sending again, announce nothing twice.
    with db.session() as session:
        program = service.default_program(session)
        mark_paid(session, program, payout_id, actor="owner", now=utcnow())
    assert service.send_due_notices(db, settings) == (0, 0)
    assert len(handler.received) == 2
    with db.session(writer=False) as session:
        notices = list(session.scalars(select(PayoutNotice)))
    assert [(n.status, n.attempts) for n in notices] == [("sent", 1), ("sent", 1)]
    assert all(n.sent_at is not None for n in notices)


def test_a_deferred_notice_stays_due_and_goes_on_a_later_try(
    tmp_path: Path, database_url: str, db: Database, smtp: tuple[FaultyHandler, int]
) -> None:
    handler, port = smtp
    settings = mail_settings(tmp_path, database_url, port)
    _paid_payout(db, ana_email="temp-ana@example.com")  # the server answers 451 for temp…
    assert service.send_due_notices(db, settings) == (1, 1)
    with db.session(writer=False) as session:
        ana = session.scalars(select(PayoutNotice).where(PayoutNotice.status == "due")).one()
    assert ana.attempts == 1
    assert "451" in ana.problem
    with db.session() as session:
        session.execute(
            update(Partner).where(Partner.name == "Ana").values(email="ana@example.com")
        )
    assert service.send_due_notices(db, settings) == (1, 0)
    assert sorted(e.rcpt_tos[0] for e in handler.received) == ["ana@example.com", "ben@example.com"]


def test_without_mail_notices_wait_and_nothing_is_tried(
    tmp_path: Path, database_url: str, db: Database
) -> None:
    from evergreen.config import Settings

    _paid_payout(db)
    plain = Settings(env="test", data_dir=tmp_path / "d", database_url=database_url)
    assert service.send_due_notices(db, plain) == (0, 0)
    with db.session(writer=False) as session:
        assert {n.status for n in session.scalars(select(PayoutNotice))} == {"due"}


def test_marking_paid_on_the_page_mails_the_notices_after_the_answer(
    tmp_path: Path,
    database_url: str,
    db: Database,
    people: dict[str, str],
    smtp: tuple[FaultyHandler, int],
) -> None:
    handler, port = smtp
    with db.session() as session:
        program = _program(session)
        _event(session, program, "s1", EventType.SALE, "100", "ANA", "cus_a", "o1")
        _approve_all(session, program)
        payout = create_payout(session, program, actor="owner", now=T0 + timedelta(days=40))
        assert payout is not None
        payout_id = payout.id
    settings = mail_settings(tmp_path, database_url, port)
    with TestClient(create_app(settings, database=db)) as client:
        sign_in(client, people["owner"])
        token = csrf_from(client.get("/partners/payouts").text)
        for _ in range(2):  # twice: the second finds it paid already
            paid = client.post(
                f"/partners/payouts/{payout_id}/paid",
                data={"csrf_token": token, "confirm": "yes"},
                follow_redirects=False,
            )
            assert paid.status_code == 303
        shown = client.get(f"/partners/payouts/{payout_id}")
        assert shown.status_code == 200
        assert re.search(r'class="payout-notice">emailed \d{4}-\d\d-\d\d', shown.text)
    assert [e.rcpt_tos for e in handler.received] == [["ana@example.com"]]
    assert "30.00 USD" in _text(handler.received[0])


def test_the_invitation_is_mailed_and_still_shown(
    tmp_path: Path,
    database_url: str,
    db: Database,
    people: dict[str, str],
    smtp: tuple[FaultyHandler, int],
) -> None:
    handler, port = smtp
    with db.session() as session:
        program = service.default_program(session)
        ana = service.create_partner(session, program, name="Ana", email="ana@blog.example").id
    settings = mail_settings(tmp_path, database_url, port)
    with TestClient(create_app(settings, database=db)) as client:
        sign_in(client, people["owner"])
        page = client.get(f"/partners/{ana}")
        made = client.post(f"/partners/{ana}/invite", data={"csrf_token": csrf_from(page.text)})
        assert made.status_code == 200
        assert "Mailed to ana@blog.example." in made.text
        shown = re.search(r'id="invite-url">([^<]+)<', made.text)
        assert shown is not None
        (envelope,) = handler.received
        assert envelope.rcpt_tos == ["ana@blog.example"]
        url = shown.group(1).replace("&amp;", "&")
        assert url in _text(envelope)
        client.cookies.clear()
        assert client.get(url).status_code == 200  # the mailed link opens the password form


def test_a_notice_older_than_a_week_is_never_sent(
    tmp_path: Path, database_url: str, db: Database, smtp: tuple[FaultyHandler, int]
) -> None:
    handler, port = smtp
    payout_id = _paid_payout(db)
    with db.session() as session:  # paid while mail was not set up, eight days ago
        session.execute(update(PayoutNotice).values(created_at=utcnow() - timedelta(days=8)))
    settings = mail_settings(tmp_path, database_url, port)
    assert service.send_due_notices(db, settings, payout_id=payout_id) == (0, 0)
    assert handler.received == []
    with db.session(writer=False) as session:
        notices = list(session.scalars(select(PayoutNotice)))
    assert {(n.status, n.problem) for n in notices} == {
        ("failed", "not sent within 7 days of the payment")
    }
