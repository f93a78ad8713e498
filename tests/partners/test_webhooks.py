"""Outgoing webhooks against a real local HTTP server: signed, deduplicated, retried."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from evergreen.addresses import Addresses
from evergreen.db import Database
from evergreen.partners import service
from evergreen.partners.models import WebhookDelivery
from evergreen.partners.rules import EventType, PartnerRuleError
from evergreen.partners.rules.webhooks import SIGNATURE_HEADER, retry_delay, sign, verify
from evergreen.partners.service.conversions import ConversionIn, record_conversion
from evergreen.partners.service.webhooks import add_endpoint, deliver_due, emit, http_sender

T0 = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)
# The receiver runs on this machine: loopback is refused unless the owner allows it.
LOCAL = Addresses("127.0.0.1", names=True)


class Receiver:
    """A local endpoint that records what it receives and can be told to fail or redirect."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.gets: list[str] = []
        self.failures_left = 0
        self.redirect_to: str | None = None
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.received.append((dict(self.headers), body))
                if outer.redirect_to is not None:
                    self.send_response(302)
                    self.send_header("Location", outer.redirect_to)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                failing = outer.failures_left > 0
                outer.failures_left -= 1 if failing else 0
                self.send_response(500 if failing else 204)
                self.end_headers()

            def do_GET(self) -> None:
                outer.gets.append(self.path)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A running local webhook receiver."""
    running = Receiver()
    yield running
    running.server.shutdown()
    running.server.server_close()


def test_signatures_verify_and_expire() -> None:
    header = sign("s3cret", int(T0.timestamp()), b'{"a":1}')
    assert verify("s3cret", header, b'{"a":1}', T0)
    assert not verify("other", header, b'{"a":1}', T0)
    assert not verify("s3cret", header, b'{"a":2}', T0)
    assert not verify("s3cret", header, b'{"a":1}', T0 + timedelta(minutes=6))
    assert not verify("s3cret", "garbage", b"", T0)
    assert retry_delay(1) == timedelta(minutes=1)
    assert retry_delay(7) == timedelta(days=1)
    assert retry_delay(8) is None


def test_commission_events_are_delivered_signed_once_and_retried(
    db: Database, receiver: Receiver
) -> None:
    with db.session() as session:
        program = service.default_program(session)
        with pytest.raises(PartnerRuleError):
            add_endpoint(session, program, "ftp://example.com/x", ["commission.created"])
        endpoint = add_endpoint(session, program, receiver.url, ["commission.created"], allow=LOCAL)
        secret = endpoint.secret
        terms = service.TermsDraft(
            kind="flat", rate=Decimal("10"), effective_from=T0 - timedelta(days=1)
        )
        service.add_terms(session, program, terms)
        partner = service.create_partner(
            session, program, name="Ana", email="ana@example.com", status="active"
        )
        service.add_coupon(session, partner, "ANA")
        sale = ConversionIn(
            idempotency_key="o1", event=EventType.SALE, amount=Decimal("99"), currency="USD",
            customer_id="c1", occurred_at=T0, order_id="o1", coupon="ANA",
        )  # fmt: skip
        (commission,) = record_conversion(session, program, sale, actor="api").commissions
        # The same event emitted again (a retry upstream) is not queued twice.
        assert (
            emit(
                session, program.id, "commission.created", f"commission.created:{commission.id}", {}
            )
            == 0
        )
    receiver.failures_left = 1
    now = datetime.now(UTC) + timedelta(seconds=1)
    send = http_sender(LOCAL)
    with db.session() as session:
        assert deliver_due(session, now, send) == (0, 1)
        assert deliver_due(session, now + timedelta(seconds=30), send) == (0, 0)  # not due yet
        assert deliver_due(session, now + timedelta(minutes=1), send) == (1, 0)
        delivery = session.scalars(select(WebhookDelivery)).one()
        assert (delivery.status, delivery.attempts) == ("delivered", 2)
    headers, body = receiver.received[-1]
    assert verify(secret, headers[SIGNATURE_HEADER], body, now + timedelta(minutes=1))
    event = json.loads(body)
    assert event["type"] == "commission.created"
    assert event["data"]["amount"] == "10.00"
    assert headers["Evergreen-Event-Id"] == event["id"]
    assert len(receiver.received) == 2
