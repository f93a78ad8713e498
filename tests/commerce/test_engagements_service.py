"""Done-for-you services on SQLite and PostgreSQL: a paid service opens one engagement with the
product's questions and tasks (however many times the payment lands), the buyer answers, tasks
are ticked, and delivery happens (and mails) once."""

from __future__ import annotations

import email
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email import policy

import pytest
from sqlalchemy import select

from evergreen.accounts import service as accounts
from evergreen.accounts.rules import Role
from evergreen.commerce import service
from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.models import Engagement, Order
from evergreen.commerce.rules.fulfilment import intake_token
from evergreen.commerce.service import engagements
from evergreen.config import Settings
from evergreen.db import Database
from evergreen.errors import Conflict
from evergreen.mail.transactional import build_transactional
from tests.commerce.fulfil_world import buy_service, make_shop
from tests.commerce.orders_world import SECRET

NOW = datetime.now(UTC)


def _paid(db: Database) -> int:
    with db.session() as session:
        make_shop(session)
        order_id = service.start_checkout(session, None, buy_service(), NOW).order.id

    def pay(_n: int) -> bool:
        with db.session() as session:
            return service.mark_manual_paid(session, order_id, SECRET, NOW).newly_paid

    with ThreadPoolExecutor(max_workers=64) as pool:
        assert sum(pool.map(pay, range(64))) == 1
    return order_id


def test_a_paid_service_opens_one_engagement_with_questions_tasks_and_due_date(
    db: Database,
) -> None:
    order_id = _paid(db)
    with db.session() as session:
        row = session.scalars(select(Engagement)).one()
        assert (row.order_id, row.status, row.buyer_email) == (
            order_id,
            "intake",
            "bea@example.com",
        )
        assert row.questions == ["Your company name?", "Colours you like?"]
        assert row.due_on == (NOW + timedelta(days=7)).date()
        tasks = engagements.engagement_tasks(session, row.id)
        assert [(t.title, t.due_on) for t in tasks] == [
            ("Sketch", row.due_on),
            ("Final files", row.due_on),
        ]
        assert engagements.engagements_of_order(session, order_id) == [row]


def test_intake_tasks_and_delivery_once(db: Database) -> None:
    _paid(db)
    with db.session() as session:
        row = session.scalars(select(Engagement)).one()
        with pytest.raises(CommerceInputError, match="answer each"):
            engagements.answer_intake(session, row.id, ["Acme"], NOW)
        engagements.answer_intake(session, row.id, ["Acme", "green"], NOW)
        assert (row.status, row.answers) == ("in_progress", ["Acme", "green"])
        staff = accounts.create_user(session, "staff@example.com", "pw-long-enough-1", Role.STAFF)
        task = engagements.add_task(session, row.id, "Call the buyer", staff.id)
        assert task.due_on == row.due_on
        with pytest.raises(CommerceInputError):
            engagements.add_task(session, row.id, "x", 999_999)
        assert engagements.tick_task(session, task.id, True, NOW).done_at is not None
        assert engagements.tick_task(session, task.id, False, NOW).done_at is None
        first = engagements.mark_delivered(session, row.id, NOW)
        second = engagements.mark_delivered(session, row.id, NOW)
        assert (first.newly, second.newly) == (True, False)
        with pytest.raises(Conflict):
            engagements.answer_intake(session, row.id, ["a", "b"], NOW)
        mail = engagements.delivered_mail(session, row.id, SECRET, "https://shop.example")
        assert mail.to == "bea@example.com"
        assert "Logo design" in mail.subject


def test_service_settings_are_checked(db: Database) -> None:
    with db.session() as session:
        shop = make_shop(session)
        with pytest.raises(CommerceInputError, match="service products"):
            engagements.set_service(session, shop.mug, "Q?", "", 3)
        with pytest.raises(CommerceInputError):
            engagements.set_service(session, shop.logo, "Q?", "", "soon")


def test_the_receipt_carries_the_signed_intake_link(db: Database, settings: Settings) -> None:
    _paid(db)
    with db.session() as session:
        row = session.scalars(select(Engagement)).one()
        number = session.scalars(select(Order.number)).one()
        message = service.receipt_mail(session, number, SECRET, "https://shop.example")
    mail = settings.model_copy(update={"smtp_host": "127.0.0.1", "mail_from": "s@example.com"})
    _outgoing, data = build_transactional(mail, message)
    parsed = email.message_from_bytes(data, policy=policy.default)
    text = "".join(
        str(part.get_content()) for part in parsed.walk() if part.get_content_type() == "text/html"
    )
    link = f"https://shop.example/buy/intake/{intake_token(SECRET, row.id)}"
    assert f'href="{link}"' in text
