"""Invoices of real orders on SQLite and PostgreSQL: the PDF read back (uncompressed) names the
order number, the seller, the buyer and totals equal to the order's; a partial refund's credit
note credits exactly what was refunded; unpaid orders and odd numbers have no invoice."""

from __future__ import annotations

import contextlib
import re
import zlib
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from evergreen.commerce import service
from evergreen.commerce.models import Order, OrderLine
from evergreen.commerce.rules.invoices import Document
from evergreen.config import Settings
from evergreen.db import Database
from evergreen.errors import Conflict, NotFound
from tests.commerce.orders_world import SECRET, buy, make_shop

NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)


def pdf_text(data: bytes) -> str:
    """The text a PDF draws, from its content streams (compressed or not)."""
    assert data.startswith(b"%PDF-")
    shown = []
    for raw in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        with contextlib.suppress(zlib.error):  # an uncompressed stream is read as it is
            raw = zlib.decompress(raw)
        shown += re.findall(rb"\(((?:[^()\\]|\\.)*)\)\s*Tj", raw)
    return " ".join(part.decode("latin-1").replace("\\(", "(").replace("\\)", ")")
                    for part in shown)  # fmt: skip


def _seller(settings: Settings) -> Settings:
    update = {"mail_postal_address": "Evergreen Books, 1 Main St, Berlin",
              "seller_tax_id": "DE999"}  # fmt: skip
    return settings.model_copy(update=update)


def _paid(db: Database, **changes: object) -> Order:
    with db.session() as session:
        make_shop(session)
        order = service.start_checkout(session, None, buy(**changes), NOW).order
        service.mark_manual_paid(session, order.id, SECRET, NOW)
        session.refresh(order)
        session.expunge(order)
        return order


def _amounts(doc: Document) -> tuple[int, int]:
    return sum(each.amount for each in doc.lines), doc.total


def test_the_invoice_pdf_reads_back_with_the_order_figures(
    db: Database, settings: Settings
) -> None:
    order = _paid(db, name="Zoë Müller")
    shop = _seller(settings)
    with db.session() as session:
        doc = service.invoices.invoice_of(session, shop, session.get(Order, order.id))
        assert _amounts(doc) == (order.total_cents, order.total_cents)
        assert doc.tax == order.tax_cents
        assert len(doc.lines) == 2
        text = pdf_text(service.invoices.render_pdf(doc, compress=False))
        packed = pdf_text(service.invoices.render_pdf(doc))
    assert f"Invoice {order.number}" in text
    assert "Evergreen Books" in text
    assert "Berlin" in text
    assert "Tax id: DE999" in text
    assert "Zoë Müller" in text
    assert "Book" in text
    assert "Workbook" in text
    total = f"{order.total_cents // 100}.{order.total_cents % 100:02d}"
    assert f"Total: {total} EUR" in text
    assert "19 %" in text
    assert packed == text  # the compressed file draws the same text


def test_a_partial_refund_has_a_credit_note_for_exactly_that(
    db: Database, settings: Settings
) -> None:
    order = _paid(db)
    with db.session() as session:
        with pytest.raises(NotFound, match="nothing of this order was refunded"):
            service.invoices.credit_note_of(session, settings, session.get(Order, order.id))
        service.refund_order(session, None, order.id, 1001, "refund-nonce-1", NOW)
    with db.session() as session:
        row = session.get(Order, order.id)
        note = service.invoices.credit_note_of(session, settings, row)
        assert _amounts(note) == (1001, 1001)
        assert note.number == f"{order.number}-CN"
        assert note.refers_to == order.number
        text = pdf_text(service.invoices.render_pdf(note, compress=False))
        # still invoiced: the invoice keeps the order's full total
        assert service.invoices.invoice_of(session, settings, row).total == order.total_cents
    assert f"Credit note {order.number}-CN" in text
    assert "Total credited: 10.01 EUR" in text
    assert f"Corrects invoice {order.number}" in text


def test_unpaid_orders_and_odd_numbers_have_no_invoice(db: Database, settings: Settings) -> None:
    with db.session() as session:
        make_shop(session)
        order = service.start_checkout(session, None, buy(), NOW).order
        with pytest.raises(NotFound):
            service.invoices.invoice_of(session, settings, order)
        for number in (order.number, "", "x" * 500, "../1", "\x00"):
            with pytest.raises(NotFound):
                service.invoices.order_by_number(session, number)
        assert service.invoices.invoiced_orders_of_email(session, "buyer@example.com") == []
        assert service.invoices.invoiced_orders_of_email(session, "not an email") == []


def test_a_buyer_finds_only_their_own_orders(db: Database, settings: Settings) -> None:
    mine = _paid(db, email="Bea@Example.com")
    with db.session() as session:
        other = service.start_checkout(session, None, buy(email="cy@example.com"), NOW).order
        service.mark_manual_paid(session, other.id, SECRET, NOW)
        listed = service.invoices.invoiced_orders_of_email(session, "bea@example.com")
        assert [row.number for row in listed] == [mine.number]
        found = service.invoices.buyer_invoice_order(session, "bea@example.com", mine.number)
        assert found.id == mine.id
        with pytest.raises(NotFound):
            service.invoices.buyer_invoice_order(session, "bea@example.com", other.number)


def test_lines_that_no_longer_add_up_give_a_conflict_not_a_crash(
    db: Database, settings: Settings
) -> None:
    order = _paid(db)
    with db.session() as session:
        line = session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)).first()
        assert line is not None
        line.total_cents += 1  # an edit by hand in the database
        session.flush()
        with pytest.raises(Conflict, match="lines add up to"):
            service.invoices.invoice_of(session, settings, session.get(Order, order.id))
