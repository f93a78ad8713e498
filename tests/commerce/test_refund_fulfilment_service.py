"""A refund stops fulfilment, on SQLite and PostgreSQL: supplier orders not yet forwarded are
cancelled and never sent; forwarded ones ask the supplier to cancel through the same channel (a
signed webhook event to a local server, a mail through a real SMTP server, a CSV row with
action cancel), once; shipped ones stay shipped; a partial refund stops what it covers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from evergreen.commerce import service
from evergreen.commerce.models import SupplierOrder
from evergreen.commerce.service import cancellations, forwarding, suppliers, tracking
from evergreen.config import Settings
from evergreen.db import Database
from tests.commerce.fulfil_world import buy_mug, make_shop, receiver
from tests.commerce.orders_world import SECRET
from tests.mail.smtp_server import smtp_server


def _paid(db: Database, now: datetime, **changes: object) -> int:
    with db.session() as session:
        order_id = service.start_checkout(session, None, buy_mug(**changes), now).order.id
    with db.session() as session:
        assert service.mark_manual_paid(session, order_id, SECRET, now).newly_paid
    return order_id


def _refund(db: Database, order_id: int, cents: int | None, now: datetime) -> None:
    with db.session() as session:
        service.refund_order(session, None, order_id, cents, f"refund-{order_id}-{cents}", now)


def _row(db: Database, order_id: int) -> SupplierOrder:
    with db.session() as session:
        row = session.scalars(select(SupplierOrder).where(SupplierOrder.order_id == order_id))
        return row.one()


def test_a_refund_cancels_asks_by_signed_webhook_once_and_keeps_shipped(
    db: Database, settings: Settings
) -> None:
    now = datetime.now(UTC)
    with db.session() as session:
        shop = make_shop(session, "webhook")
    allowed = settings.model_copy(update={"webhook_allow": "127.0.0.1"})
    with receiver(shop.secret, []) as got:
        with db.session() as session:
            row = suppliers.get_supplier(session, shop.supplier)
            suppliers.update_supplier(session, row.id, row.name, "", "webhook", got.url, "EUR")
        sent, shipped = _paid(db, now), _paid(db, now)
        assert forwarding.forward_due(db, allowed, now).sent == 2
        with db.session() as session:
            tracking.record_tracking(session, _row(db, shipped).id, "1Z9", "UPS", "", now)
        unsent = _paid(db, now)  # paid after the run: not forwarded yet
        for order_id in (unsent, sent, shipped):
            _refund(db, order_id, None, now)
        later = now + timedelta(minutes=1)
        assert forwarding.forward_due(db, allowed, later).sent == 1  # the cancel request only
        assert forwarding.forward_due(db, allowed, later + timedelta(days=1)).sent == 0
        with db.session() as session:  # the refund seen again (a provider's replay)
            order = service.get_order(session, sent)
            assert cancellations.stop_for_refund(session, order, later) == []
        assert forwarding.forward_due(db, allowed, later + timedelta(days=2)).sent == 0
    assert got.bad_signatures == 0
    events = [json.loads(body) for body in got.bodies]
    assert [e["type"] for e in events] == [
        "supplier_order.created", "supplier_order.created", "supplier_order.cancel_requested"
    ]  # fmt: skip
    assert events[2]["supplier_order"] == _row(db, sent).id
    assert events[2]["lines"][0]["sku"] == "MUG-01"
    cancelled, requested, kept = _row(db, unsent), _row(db, sent), _row(db, shipped)
    assert (cancelled.status, cancelled.sent_at, cancelled.stopped_at is not None) == (
        "cancelled", None, True
    )  # fmt: skip
    assert requested.status == "cancel_requested"
    assert requested.cancel_sent_at is not None
    assert (kept.status, kept.tracking_number, kept.stopped_at is not None) == (
        "shipped", "1Z9", True
    )  # fmt: skip


def test_a_cancel_request_goes_by_email_through_smtp_once(db: Database, settings: Settings) -> None:
    now = datetime.now(UTC)
    with db.session() as session:
        make_shop(session, "email")
    order_id = _paid(db, now)
    with smtp_server() as (handler, port):
        mail = settings.model_copy(
            update={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_starttls": False,
                    "mail_from": "shop@example.com"}
        )  # fmt: skip
        assert forwarding.forward_due(db, mail, now).sent == 1
        _refund(db, order_id, None, now)
        assert forwarding.forward_due(db, mail, now + timedelta(seconds=1)).sent == 1
        assert forwarding.forward_due(db, mail, now + timedelta(days=1)).sent == 0
    order_mail, cancel_mail = handler.received
    assert cancel_mail.rcpt_tos == ["mugs@example.com"]
    text = cancel_mail.content.decode(errors="replace")
    assert "Subject: Cancel order" in text
    assert "do not ship" in text
    assert "MUG-01" in text
    assert "Subject: New order" in order_mail.content.decode(errors="replace")
    assert _row(db, order_id).status == "cancel_requested"


def test_a_csv_supplier_gets_a_cancel_row_in_the_next_export(db: Database) -> None:
    now = datetime.now(UTC)
    with db.session() as session:
        make_shop(session, "csv")
    exported, unexported = _paid(db, now), _paid(db, now)
    with db.session() as session:
        text, ids = forwarding.export_csv(session)
        assert forwarding.mark_exported(session, [_row(db, exported).id], now) == 1
    _refund(db, exported, None, now)
    _refund(db, unexported, None, now)
    with db.session() as session:
        text, ids = forwarding.export_csv(session)
        assert ids == [_row(db, exported).id]  # the cancelled one never leaves
        assert text.splitlines()[1].endswith(",cancel")
        assert forwarding.mark_exported(session, ids, now) == 1
        assert forwarding.export_csv(session)[1] == []
    assert _row(db, unexported).status == "cancelled"
    assert _row(db, exported).cancel_sent_at is not None


def test_a_partial_refund_stops_the_supplier_order_only_once_it_covers_the_line(
    db: Database,
) -> None:
    now = datetime.now(UTC)
    with db.session() as session:
        make_shop(session, "csv")
        ebook = service.add_product(session, service.ProductDraft("Mug care", "digital"))
        service.add_price(session, ebook.id, service.PriceDraft("EUR", "5.00"))
        service.set_status(session, ebook.id, "active")
        mug = service.offer(session, "mug").product
        service.set_bump(session, mug.id, ebook.id, "Add the care guide")
    order_id = _paid(db, now, bump=True)  # 12.00 + 4.50 shipping + 5.00 ebook
    _refund(db, order_id, 1000, now)  # less than the mug's line: the mug is still owed
    assert _row(db, order_id).status == "new"
    _refund(db, order_id, 650, now + timedelta(seconds=1))  # 16.50 of 21.50: covers the mug
    with db.session() as session:
        assert service.get_order(session, order_id).status == "partially_refunded"
    assert _row(db, order_id).status == "cancelled"


def test_the_owner_resends_an_order_or_a_cancel_request(db: Database, settings: Settings) -> None:
    now = datetime.now(UTC)
    with db.session() as session:
        make_shop(session, "webhook", "http://127.0.0.1:9/x")  # not allowed: fails
    order_id = _paid(db, now)
    at = now
    for _ in range(8):
        forwarding.forward_due(db, settings, at)
        at += timedelta(days=2)
    assert _row(db, order_id).status == "failed"
    with db.session() as session:
        again = service.resend_supplier_order(session, _row(db, order_id).id, at)
        assert (again.status, again.attempts, again.next_attempt_at) == ("new", 0, at)
