"""Drop-shipping on SQLite and PostgreSQL: shipping priced by the server to the address's zone,
one supplier order per (order, supplier) however often and however concurrently the payment
lands, forwarding by signed webhook (retried with backoff) and by email through a real SMTP
server, the CSV export, and tracking (owner or signed supplier webhook) mailing the buyer once."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from evergreen.commerce import service
from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.models import Order, OrderAddress, OrderLine, SupplierOrder
from evergreen.commerce.service import forwarding, suppliers, tracking
from evergreen.config import Settings
from evergreen.db import Database, is_busy
from evergreen.errors import Conflict, NotFound
from evergreen.mail.transactional import deliver
from evergreen.signatures import sign
from tests.commerce.fulfil_world import address, buy_mug, make_shop, receiver
from tests.commerce.orders_world import SECRET
from tests.mail.smtp_server import smtp_server

NOW = datetime.now(UTC)


def _paid_mug(db: Database, **changes: object) -> tuple[int, str]:
    with db.session() as session:
        started = service.start_checkout(session, None, buy_mug(**changes), NOW)
        order_id, number = started.order.id, started.order.number
    with db.session() as session:
        assert service.mark_manual_paid(session, order_id, SECRET, NOW).newly_paid
    return order_id, number


def test_shipping_is_priced_by_zone_and_the_address_kept(db: Database) -> None:
    with db.session() as session:
        make_shop(session)
        order = service.start_checkout(session, None, buy_mug(), NOW).order
        assert order.total_cents == 1200 + 450  # DE zone
        kept = session.get(OrderAddress, order.id)
        assert kept is not None
        assert (kept.city, kept.country, kept.shipping_cents) == ("Berlin", "DE", 450)
        fr = service.start_checkout(session, None, buy_mug(address=address("FR")), NOW).order
        assert fr.total_cents == 1200 + 700  # EU zone
        with pytest.raises(CommerceInputError, match="we do not ship to CH"):
            service.start_checkout(session, None, buy_mug(address=address("CH")), NOW)
        with pytest.raises(CommerceInputError, match="shipping address is required"):
            service.start_checkout(session, None, buy_mug(address=None), NOW)
        assert session.scalar(select(func.count()).select_from(Order)) == 2  # nothing half-stored


def test_one_supplier_order_per_order_and_supplier_under_64_concurrent_payers(
    db: Database,
) -> None:
    with db.session() as session:
        shop = make_shop(session)
        order_id = service.start_checkout(session, None, buy_mug(), NOW).order.id

    def pay(_n: int) -> bool:
        # As a caller told "busy, try again" (503 with Retry-After over HTTP) would: 64 payers
        # queue on one order's row, longer than one lock timeout on a loaded machine.
        for _attempt in range(5):
            try:
                with db.session() as session:
                    return service.mark_manual_paid(session, order_id, SECRET, NOW).newly_paid
            except OperationalError as exc:
                if not is_busy(exc):
                    raise
        raise AssertionError("still busy after 5 attempts")

    with ThreadPoolExecutor(max_workers=64) as pool:
        results = list(pool.map(pay, range(64)))
    assert sum(results) == 1
    with db.session() as session:
        rows = list(session.scalars(select(SupplierOrder)))
        assert len(rows) == 1
        row = rows[0]
        assert (row.order_id, row.supplier_id, row.status) == (order_id, shop.supplier, "new")
        line_id = session.scalars(select(OrderLine.id).where(OrderLine.order_id == order_id)).one()
        assert row.lines == [{"sku": "MUG-01", "name": "Mug", "quantity": 1, "line": line_id}]
        assert row.ship_to["city"] == "Berlin"
        opened = suppliers.open_supplier_orders(
            session,
            session.get(Order, order_id),
            [],
            NOW,  # a replay opens nothing more
        )
        assert opened == []


def test_webhook_forwarding_is_signed_and_retried_with_backoff(
    db: Database, settings: Settings
) -> None:
    with db.session() as session:
        probe = make_shop(session, "webhook", "http://127.0.0.1:9/x")
    with receiver(probe.secret, [500]) as got:
        with db.session() as session:
            row = suppliers.get_supplier(session, probe.supplier)
            suppliers.update_supplier(session, row.id, row.name, "", "webhook", got.url, "EUR")
        _order_id, number = _paid_mug(db)
        allowed = settings.model_copy(update={"webhook_allow": "127.0.0.1"})
        first = forwarding.forward_due(db, allowed, NOW)
        assert (first.sent, first.retried) == (0, 1)
        again = forwarding.forward_due(db, allowed, NOW + timedelta(seconds=30))
        assert (again.sent, again.retried) == (0, 0)  # not due yet: backoff
        later = forwarding.forward_due(db, allowed, NOW + timedelta(minutes=2))
        assert later.sent == 1
        assert forwarding.forward_due(db, allowed, NOW + timedelta(hours=1)).sent == 0
    assert got.bad_signatures == 0
    assert len(got.bodies) == 2  # the refused try and the accepted one, both signed
    body = json.loads(got.bodies[-1])
    assert body["order"] == number
    assert body["lines"][0]["sku"] == "MUG-01"
    with db.session() as session:
        stored = session.scalars(select(SupplierOrder)).one()
        assert (stored.status, stored.attempts) == ("sent", 1)
        assert stored.sent_at is not None


def test_a_webhook_to_a_private_address_is_not_sent_and_fails_in_the_end(
    db: Database, settings: Settings
) -> None:
    with db.session() as session:
        make_shop(session, "webhook", "http://127.0.0.1:9/x")  # not allowed: loopback
    _paid_mug(db)
    at = NOW
    for _ in range(8):
        forwarding.forward_due(db, settings, at)
        at += timedelta(days=2)
    with db.session() as session:
        stored = session.scalars(select(SupplierOrder)).one()
        assert stored.status == "failed"
        assert "loopback" in stored.last_error


def test_email_forwarding_and_the_shipped_mail_go_through_smtp_once(
    db: Database, settings: Settings
) -> None:
    with db.session() as session:
        shop = make_shop(session, "email")
    _order_id, number = _paid_mug(db)
    with smtp_server() as (handler, port):
        mail = settings.model_copy(
            update={
                "smtp_host": "127.0.0.1",
                "smtp_port": port,
                "smtp_starttls": False,
                "mail_from": "shop@example.com",
            }
        )
        assert forwarding.forward_due(db, mail, NOW).sent == 1
        assert forwarding.forward_due(db, mail, NOW + timedelta(days=1)).sent == 0
        with db.session() as session:
            row_id = session.scalars(select(SupplierOrder.id)).one()
            results = [
                tracking.record_tracking(session, row_id, "1Z999", "UPS", "", NOW) for _ in range(3)
            ]
            assert [r.newly_shipped for r in results] == [True, False, False]
            message = forwarding.shipped_mail(session, row_id, SECRET, "https://shop.example")
        assert deliver(mail, message, "shipped") is None
    to_supplier, to_buyer = handler.received
    assert to_supplier.rcpt_tos == ["mugs@example.com"]
    supplier_text = to_supplier.content.decode(errors="replace")
    assert number in supplier_text
    assert "MUG-01" in supplier_text
    assert "Berlin" in supplier_text
    assert to_buyer.rcpt_tos == ["bea@example.com"]
    assert "1Z999" in to_buyer.content.decode(errors="replace")
    assert shop.supplier


def test_csv_suppliers_get_one_export_marked_sent_after_confirming(db: Database) -> None:
    with db.session() as session:
        make_shop(session, "csv")
    _paid_mug(db)
    _paid_mug(db)
    with db.session() as session:
        text, ids = forwarding.export_csv(session)
        assert len(ids) == 2
        assert text.count("MUG-01") == 2
        assert forwarding.mark_exported(session, ids, NOW) == 2
        assert forwarding.mark_exported(session, ids, NOW) == 0
        assert forwarding.export_csv(session)[1] == []


def test_the_suppliers_tracking_webhook_is_signed_idempotent_and_64_concurrent(
    db: Database,
) -> None:
    with db.session() as session:
        shop = make_shop(session, "csv")
    _order_id, number = _paid_mug(db)
    body = json.dumps({"order": number, "tracking_number": "TRK1", "carrier": "DHL",
                       "tracking_url": "https://dhl.example/t/TRK1"}).encode()  # fmt: skip
    header = sign(shop.secret, int(time.time()), body)

    def call(_n: int) -> bool:
        with db.session() as session:
            return tracking.tracking_from_supplier(
                session, shop.supplier, header, body, datetime.now(UTC)
            ).newly_shipped

    with ThreadPoolExecutor(max_workers=64) as pool:
        results = list(pool.map(call, range(64)))
    assert sum(results) == 1
    with db.session() as session:
        row = session.scalars(select(SupplierOrder)).one()
        assert (row.status, row.tracking_number, row.carrier) == ("shipped", "TRK1", "DHL")
        with pytest.raises(CommerceInputError, match="signature"):
            tracking.tracking_from_supplier(
                session,
                shop.supplier,
                sign("wrong", int(time.time()), body),
                body,
                datetime.now(UTC),  # the clock the signature was made by, not the import's
            )
        other = json.dumps({"order": "NOPE", "tracking_number": "1", "carrier": "x"}).encode()
        with pytest.raises(NotFound):
            tracking.tracking_from_supplier(
                session,
                shop.supplier,
                sign(shop.secret, int(time.time()), other),
                other,
                datetime.now(UTC),
            )


def test_suppliers_are_checked_and_named_once(db: Database, tmp_path: Path) -> None:
    with db.session() as session:
        make_shop(session)
        with pytest.raises(Conflict):
            suppliers.add_supplier(session, "MugCo", "", "csv", "", "EUR")
        with pytest.raises(CommerceInputError):
            suppliers.add_supplier(session, "Other", "not-an-email", "email", "", "EUR")
        assert [s.name for s in suppliers.list_suppliers(session)] == ["MugCo"]


def test_a_product_named_for_a_supplier_by_name_still_ships_from_it(db: Database) -> None:
    with db.session() as session:
        shop = make_shop(session, "csv")
        suppliers.set_product_supplier(session, shop.mug, None)  # unlinked: the name remains
        product = service.get_product(session, shop.mug)
        assert product.supplier_name == "MugCo"
        assert suppliers.supplier_of(session, product) is not None
    _paid_mug(db)
    with db.session() as session:
        assert session.scalars(select(SupplierOrder.supplier_id)).one() == shop.supplier
