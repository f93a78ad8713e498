"""Checkout and orders over HTTP on SQLite and PostgreSQL: the public /buy page prices the
cart on the server (a bump, a coupon, tax) and one order results from a double submit; the
buyer's signed page shows the bank transfer; the owner marks it paid after a confirmation and
the receipt reaches a real SMTP server; the API lists, refunds once per key and keeps coupons;
Stripe's webhook refuses a bad signature (400 naming the header), odd and huge bodies, and
absorbs 64 concurrent replays with no 5xx."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
import stripe
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select
from stripe._base_address import BaseAddresses

from evergreen.commerce import service
from evergreen.commerce.models import Order
from evergreen.config import Settings
from evergreen.db import Database
from evergreen.web import create_app
from tests.commerce.localstripe import STRIPE_TEST_KEY, localstripe
from tests.commerce.orders_world import HOOK_SECRET, buy, counts, make_shop, stripe_event
from tests.http_helpers import csrf_from, sign_in, token_for
from tests.mail.smtp_server import smtp_server

__all__ = ["localstripe"]  # the session fixture, imported for pytest


def _headers(db: Database, email: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(db, email)}"}


def _form(page: str) -> dict[str, str]:
    """The checkout form's hidden fields as the page rendered them."""
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))


def test_a_buyer_checks_out_and_the_owner_marks_the_transfer_paid(
    db: Database, people: dict[str, str], settings: Settings
) -> None:
    with db.session() as session:
        make_shop(session)
    with smtp_server() as (handler, port):
        smtp = {"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_starttls": False,
                "mail_from": "shop@example.com"}  # fmt: skip
        mail = settings.model_copy(update=smtp)
        with TestClient(create_app(mail, database=db)) as client:
            page = client.get("/buy/book")
            assert page.status_code == 200
            assert "Add the workbook" in page.text
            assert "29.00 EUR" in page.text
            assert "bank transfer" in page.text
            hidden = _form(page.text)
            posted = {**hidden, "email": "bea@example.com", "name": "Bea", "country": "DE",
                      "coupon": "ana", "bump": "yes", "amount": "0.01", "total": "1"}  # fmt: skip
            first = client.post("/buy/book", data=posted, follow_redirects=False)
            assert first.status_code == 303, first.text
            again = client.post("/buy/book", data=posted, follow_redirects=False)
            assert again.headers["location"] == first.headers["location"]  # one order
            mine = client.get(first.headers["location"])
            assert "Pay by bank transfer" in mine.text
            assert "40.70 EUR" in mine.text  # not 0.01
            bad = client.post("/buy/book", data={**posted, "nonce": "n" * 20, "email": "x"})
            assert bad.status_code == 400
            assert "email" in bad.text
            assert client.get("/buy/order/AAAAAA.bad-token-bad-token-bad").status_code == 404
            sign_in(client, people["owner"])
            listed = client.get("/commerce/orders?status=pending")
            order_id = int(re.findall(r'/commerce/orders/(\d+)"', listed.text)[0])
            detail = client.get(f"/commerce/orders/{order_id}")
            token = csrf_from(detail.text)
            ask = client.post(f"/commerce/orders/{order_id}/mark-paid", data={"csrf_token": token})
            assert "Mark order" in ask.text
            assert "paid?" in ask.text
            with db.session(writer=False) as session:
                assert session.get(Order, order_id).status == "pending"  # type: ignore[union-attr]
            done = client.post(
                f"/commerce/orders/{order_id}/mark-paid",
                data={"csrf_token": token, "confirm": "yes"},
            )
            assert done.status_code == 200
            assert "Order marked paid" in done.text
            assert "Thank you" in client.get(first.headers["location"]).text
    assert [e.rcpt_tos for e in handler.received] == [["bea@example.com"]]
    body = handler.received[0].content
    assert isinstance(body, bytes)
    assert b"/buy/order/" in body


@pytest.mark.both_databases
def test_the_api_lists_refunds_once_and_keeps_coupons(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    owner, staff = _headers(db, people["owner"]), _headers(db, people["staff"])
    with db.session() as session:
        make_shop(session)
        order = service.start_checkout(session, None, buy(), datetime.now(UTC)).order
        order_id = order.id
    paid = client.post(f"/api/v1/commerce/orders/{order_id}/mark-paid", headers=owner)
    assert paid.status_code == 200
    assert paid.json()["status"] == "paid"
    assert (
        client.post(f"/api/v1/commerce/orders/{order_id}/mark-paid", headers=staff).status_code
        == 403
    )
    listed = client.get("/api/v1/commerce/orders?status=paid", headers=staff).json()
    assert [o["id"] for o in listed["orders"]] == [order_id]
    assert listed["total"] == 1
    got = client.get(f"/api/v1/commerce/orders/{order_id}", headers=staff).json()
    assert [line["role"] for line in got["lines"]] == ["main", "bump"]
    assert (got["total"], got["tax"], got["discount"]) == ("40.70", "6.50", "3.80")
    body = {"amount": "10.00", "idempotency_key": "refund-key-1"}
    for _ in range(2):
        refunded = client.post(
            f"/api/v1/commerce/orders/{order_id}/refund", json=body, headers=owner
        )
        assert refunded.status_code == 200, refunded.text
    assert (refunded.json()["status"], refunded.json()["refunded"]) == (
        "partially_refunded",
        "10.00",
    )
    too_much = client.post(
        f"/api/v1/commerce/orders/{order_id}/refund",
        json={"amount": "99.00", "idempotency_key": "refund-key-2"}, headers=owner,
    )  # fmt: skip
    assert too_much.status_code == 422
    assert "amount" in too_much.text
    assert client.get("/api/v1/commerce/orders/999", headers=staff).status_code == 404
    coupon = {"code": "spring", "amount_off": "5.00", "currency": "EUR", "max_redemptions": 3}
    made = client.post("/api/v1/commerce/coupons", json=coupon, headers=owner)
    assert made.status_code == 201
    assert made.json()["code"] == "SPRING"
    assert client.post("/api/v1/commerce/coupons", json=coupon, headers=owner).status_code == 409
    both = client.post("/api/v1/commerce/coupons", json={**coupon, "code": "X", "percent_off": "5"},
                       headers=owner)  # fmt: skip
    assert both.status_code == 422
    codes = [c["code"] for c in client.get("/api/v1/commerce/coupons", headers=staff).json()]
    assert codes == ["ANA", "SPRING"]
    gone = client.delete(f"/api/v1/commerce/coupons/{made.json()['id']}", headers=owner)
    assert gone.status_code == 204


@pytest.fixture
def stripe_client(settings: Settings, db: Database, localstripe: str) -> Iterator[TestClient]:
    configured = settings.model_copy(update={
        "stripe_secret_key": SecretStr(STRIPE_TEST_KEY),
        "stripe_webhook_secret": SecretStr(HOOK_SECRET),
        "stripe_api_base": localstripe,
        "stripe_publishable_key": "pk_test_evergreen",
        "stripe_js_url": f"{localstripe}/js.stripe.com/v3/",
    })  # fmt: skip
    with TestClient(create_app(configured, database=db)) as client:
        yield client


@pytest.mark.both_databases
def test_the_stripe_webhook_refuses_bad_input_and_absorbs_64_replays(
    stripe_client: TestClient, db: Database, localstripe: str
) -> None:
    page_client = stripe_client
    with db.session() as session:
        make_shop(session)
    page = page_client.get("/buy/book")
    posted = {**_form(page.text), "email": "bea@example.com", "bump": "yes"}
    mine = page_client.get(
        page_client.post("/buy/book", data=posted, follow_redirects=False).headers["location"]
    )
    assert 'id="pay"' in mine.text
    assert "/js.stripe.com/v3/" in mine.text
    with db.session(writer=False) as session:
        order = session.scalars(select(Order)).one()
        number, payment_id = order.number, order.payment_id
    assert payment_id
    assert payment_id in mine.text  # the client secret starts with the intent's id
    bases: BaseAddresses = {"api": localstripe}
    sdk = stripe.StripeClient(STRIPE_TEST_KEY, base_addresses=bases)
    sdk.v1.payment_intents.update(payment_id, {"payment_method": "pm_card_visa"})
    sdk.v1.payment_intents.confirm(payment_id)
    obj = {"object": "payment_intent", "id": payment_id, "amount": 3800, "currency": "eur",
           "metadata": {"order": number}}  # fmt: skip
    payload, header = stripe_event("payment_intent.succeeded", obj)
    url = "/commerce/webhooks/stripe"
    unsigned = page_client.post(url, content=payload)
    assert unsigned.status_code == 400
    assert unsigned.json()["field"] == "Stripe-Signature"
    wrong = page_client.post(url, content=payload + b" ", headers={"Stripe-Signature": header})
    assert wrong.status_code == 400
    assert "Stripe-Signature" in wrong.json()["detail"]
    odd, odd_header = b"\xff\xfe not json", header
    assert (
        page_client.post(url, content=odd, headers={"Stripe-Signature": odd_header}).status_code
        == 400
    )
    junk_payload, junk_header = stripe_event("payment_intent.succeeded", {"object": "x"})
    junk = page_client.post(
        url, content=junk_payload[:-1] + b"]", headers={"Stripe-Signature": junk_header}
    )
    assert junk.status_code == 400
    huge = page_client.post(
        url, content=b"{" + b" " * (300 * 1024) + b"}", headers={"Stripe-Signature": header}
    )
    assert huge.status_code == 413
    with ThreadPoolExecutor(max_workers=64) as pool:
        answers = list(pool.map(
            lambda _i: page_client.post(url, content=payload, headers={"Stripe-Signature": header}),
            range(64),
        ))  # fmt: skip
    assert sorted({a.status_code for a in answers}) == [200]
    assert sum(not a.json()["duplicate"] for a in answers) == 1
    with db.session(writer=False) as session:
        held = counts(session, number)
        assert (held["status"], held["entries"], held["commissions"]) == ("paid", 2, 0)
    assert "Thank you" in page_client.get(mine.url).text


def test_the_webhook_says_what_to_set_when_stripe_is_off(client: TestClient) -> None:
    off = client.post("/commerce/webhooks/stripe", content=b"{}")
    assert off.status_code == 404
    assert "EVERGREEN_STRIPE_SECRET_KEY" in off.json()["detail"]


def test_the_funnel_step_a_buyer_came_from_is_kept_on_the_order(
    db: Database, client: TestClient
) -> None:
    with db.session() as session:
        make_shop(session)
    page = client.get("/buy/book?funnel=7&step=12&variant=B")
    hidden = _form(page.text)
    assert (hidden["funnel"], hidden["step"], hidden["variant"]) == ("7", "12", "B")
    odd = _form(client.get("/buy/book?funnel=x7&step=1e9&variant=" + "V" * 90).text)
    assert "funnel" not in odd  # not an id: dropped, the sale still goes through
    for fields in (hidden, {**odd, "funnel": "-1", "step": "9" * 30, "variant": "Z"}):
        posted = {**fields, "email": "bea@example.com", "country": "DE"}
        assert client.post("/buy/book", data=posted, follow_redirects=False).status_code == 303
    with db.session(writer=False) as session:
        rows = session.execute(
            select(Order.funnel_id, Order.step_id, Order.variant).order_by(Order.id)
        ).all()
    assert [tuple(r) for r in rows] == [(7, 12, "B"), (None, None, None)]
