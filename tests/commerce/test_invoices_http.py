"""Invoices over HTTP on SQLite and PostgreSQL: a signed-in buyer lists and downloads the
invoices of their own orders only (another's number, a tampered or missing cookie: nothing);
the signed order link serves its invoice; the owner's order page has the invoice and, after a
refund, the credit note, which no buyer and no staff member reaches; odd numbers and links never
give a 5xx. The buy button: its script, its snippet on the product page, and frame headers
relaxed for ?embed=1 checkout pages alone."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from evergreen.commerce import service
from evergreen.commerce.models import Order
from evergreen.commerce.rules.checkout import order_token
from evergreen.commerce.rules.delivery import buyer_token
from evergreen.commerce.views.buyers import BUYER_COOKIE
from evergreen.config import Settings
from evergreen.db import Database
from evergreen.web import create_app
from tests.commerce.orders_world import SECRET, buy, make_shop
from tests.commerce.test_invoices_service import pdf_text
from tests.http_helpers import sign_in

NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)


def _orders(db: Database) -> tuple[Order, Order, Order]:
    """Bea's paid order (later refunded in part), Cy's paid order, Bea's unpaid one."""
    with db.session() as session:
        make_shop(session)
        made = []
        for email in ("bea@example.com", "cy@example.com", "bea@example.com"):
            made.append(service.start_checkout(session, None, buy(email=email), NOW).order)
        for order in made[:2]:
            service.mark_manual_paid(session, order.id, SECRET, NOW)
        service.refund_order(session, None, made[0].id, 500, "refund-nonce-http", NOW)
        for order in made:
            session.refresh(order)
            session.expunge(order)
    return made[0], made[1], made[2]


def _as_buyer(client: TestClient, email: str) -> None:
    expires = datetime.now(UTC) + timedelta(days=1)
    client.cookies.set(BUYER_COOKIE, buyer_token(SECRET, "buyer-session", email, expires))


def _is_pdf(answer: object) -> bool:
    return getattr(answer, "status_code", 0) == 200 and answer.content.startswith(b"%PDF-")  # type: ignore[attr-defined]


def test_a_buyer_gets_only_their_own_invoices(db: Database, settings: Settings) -> None:
    bea, cy, unpaid = _orders(db)
    with TestClient(create_app(settings, database=db)) as client:
        assert client.get(f"/account/invoices/{bea.number}.pdf", follow_redirects=False
                          ).status_code == 303  # fmt: skip
        _as_buyer(client, "bea@example.com")
        page = client.get("/account")
        assert f"/account/invoices/{bea.number}.pdf" in page.text
        assert cy.number not in page.text
        assert unpaid.number not in page.text
        pdf = client.get(f"/account/invoices/{bea.number}.pdf")
        assert _is_pdf(pdf)
        assert (
            pdf.headers["content-disposition"] == f'attachment; filename="invoice-{bea.number}.pdf"'
        )
        assert "no-store" in pdf.headers["cache-control"]
        for number in (cy.number, unpaid.number, "NOPE", "a%00b", "x" * 39, "%E2%9C%93"):
            assert client.get(f"/account/invoices/{number}.pdf").status_code == 404
        assert client.get(f"/account/credit-notes/{bea.number}.pdf").status_code == 404
        assert client.get("/account/invoices/" + "x" * 41 + ".pdf").status_code == 400
        # a tampered cookie, or one for Cy signed with another key, is no session at all
        cookie = client.cookies.get(BUYER_COOKIE) or ""
        forged = buyer_token("another-secret-" * 3, "buyer-session", "cy@example.com",
                             datetime.now(UTC) + timedelta(days=1))  # fmt: skip
        for bad in (cookie[:-3] + ("AAA" if cookie[-3:] != "AAA" else "BBB"), forged):
            client.cookies.set(BUYER_COOKIE, bad)
            answer = client.get(f"/account/invoices/{cy.number}.pdf", follow_redirects=False)
            assert answer.status_code == 303
            assert not answer.content.startswith(b"%PDF")


def test_the_order_link_serves_its_invoice(db: Database, settings: Settings) -> None:
    bea, _cy, unpaid = _orders(db)
    with TestClient(create_app(settings, database=db)) as client:
        token = order_token(SECRET, bea.number)
        page = client.get(f"/buy/order/{token}")
        assert f"/buy/order/{token}/invoice.pdf" in page.text
        pdf = client.get(f"/buy/order/{token}/invoice.pdf")
        assert _is_pdf(pdf)
        assert f"Invoice {bea.number}" in pdf_text(pdf.content)
        assert client.get(f"/buy/order/{token}x/invoice.pdf").status_code == 404
        assert client.get("/buy/order/%00/invoice.pdf").status_code == 404
        unpaid_token = order_token(SECRET, unpaid.number)
        assert "invoice.pdf" not in client.get(f"/buy/order/{unpaid_token}").text
        assert client.get(f"/buy/order/{unpaid_token}/invoice.pdf").status_code == 404


def test_the_owner_has_the_invoice_and_the_credit_note(
    db: Database, people: dict[str, str], settings: Settings
) -> None:
    bea, cy, _unpaid = _orders(db)
    with TestClient(create_app(settings, database=db)) as client:
        _as_buyer(client, "bea@example.com")  # a buyer's cookie is no dashboard sign-in
        answer = client.get(f"/commerce/orders/{bea.id}/credit-note.pdf", follow_redirects=False)
        assert not answer.content.startswith(b"%PDF")
        assert answer.status_code in (303, 401, 403)
        sign_in(client, people["owner"])
        page = client.get(f"/commerce/orders/{bea.id}").text
        assert 'id="invoice-link"' in page
        assert 'id="credit-note-link"' in page
        assert 'id="credit-note-link"' not in client.get(f"/commerce/orders/{cy.id}").text
        note = client.get(f"/commerce/orders/{bea.id}/credit-note.pdf")
        assert _is_pdf(note)
        assert f'filename="credit-note-{bea.number}-CN.pdf"' in note.headers["content-disposition"]
        assert "Total credited: 5.00 EUR" in pdf_text(note.content)
        assert _is_pdf(client.get(f"/commerce/orders/{cy.id}/invoice.pdf"))
        assert client.get(f"/commerce/orders/{cy.id}/credit-note.pdf").status_code == 404
        assert client.get("/commerce/orders/999999/invoice.pdf").status_code == 404
        assert client.get("/commerce/orders/-1/invoice.pdf").status_code in (404, 422)


def test_staff_get_the_invoice_but_not_the_credit_note(
    db: Database, people: dict[str, str], settings: Settings
) -> None:
    bea, _cy, _unpaid = _orders(db)
    with TestClient(create_app(settings, database=db)) as client:
        sign_in(client, people["staff"])
        page = client.get(f"/commerce/orders/{bea.id}")
        assert page.status_code == 200
        assert 'id="invoice-link"' in page.text
        assert 'id="credit-note-link"' not in page.text  # refunded, but not theirs to see
        assert _is_pdf(client.get(f"/commerce/orders/{bea.id}/invoice.pdf"))
        refused = client.get(f"/commerce/orders/{bea.id}/credit-note.pdf")
        assert refused.status_code == 403
        assert not refused.content.startswith(b"%PDF")
        assert "Only the owner" in refused.text


@pytest.mark.parametrize("path", ["/buy/book", "/buy/book?embed=0"])
def test_checkout_is_framable_only_when_embedded(
    db: Database, settings: Settings, path: str
) -> None:
    with db.session() as session:
        make_shop(session)
    with TestClient(create_app(settings, database=db)) as client:
        plain = client.get(path)
        assert plain.headers["x-frame-options"] == "DENY"
        assert "content-security-policy" not in plain.headers
        embedded = client.get("/buy/book?embed=1")
        assert "x-frame-options" not in embedded.headers
        assert embedded.headers["content-security-policy"] == "frame-ancestors *"
        assert 'action="/buy/book?embed=1"' in embedded.text
        assert client.get("/account?embed=1").headers["x-frame-options"] == "DENY"
        script = client.get("/embed/buy.js")
        assert script.status_code == 200
        assert "data-evergreen-buy" in script.text
        assert script.headers["content-type"].startswith("text/javascript")


def test_the_product_page_offers_the_snippet(
    db: Database, people: dict[str, str], settings: Settings
) -> None:
    with db.session() as session:
        book = make_shop(session).book
    with TestClient(create_app(settings, database=db)) as client:
        sign_in(client, people["owner"])
        page = client.get(f"/commerce/products/{book}").text
        snippet = re.search(r'<textarea id="buy-snippet"[^>]*>(.*?)</textarea>', page, re.S)
        assert snippet is not None
        text = snippet.group(1)
        assert "&lt;a href=&#34;http://testserver/buy/book&#34; data-evergreen-buy" in text
        assert "Buy Book for 29.00 EUR" in text
        assert "http://testserver/embed/buy.js" in text
