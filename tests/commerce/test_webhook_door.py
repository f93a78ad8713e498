"""The front door of POST /commerce/webhooks/stripe: a verified replay is answered before
middleware and routing (from the inbox, then from memory); everything else reaches the route
with the very body the door read, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from starlette.types import Message, Receive

from evergreen.commerce.payments.inbox import TableInbox
from evergreen.commerce.rules.payments import parse_event
from evergreen.commerce.views.webhook_door import StripeWebhookDoor
from evergreen.commerce.views.webhooks import MAX_EVENT_BYTES
from evergreen.config import Settings
from evergreen.db import Database
from evergreen.web import create_app
from tests.commerce.localstripe import STRIPE_TEST_KEY
from tests.commerce.orders_world import HOOK_SECRET, stripe_event

URL = "/commerce/webhooks/stripe"


@pytest.fixture
def configured(settings: Settings) -> Settings:
    return settings.model_copy(update={
        "stripe_secret_key": SecretStr(STRIPE_TEST_KEY),
        "stripe_webhook_secret": SecretStr(HOOK_SECRET),
        "stripe_api_base": "http://127.0.0.1:9",  # never called: the door only verifies
    })  # fmt: skip


def _event(number: str) -> tuple[bytes, str]:
    intent = {"object": "payment_intent", "id": f"pi_{number}", "amount": 1000,
              "amount_received": 1000, "currency": "eur",
              "metadata": {"order": number}}  # fmt: skip
    return stripe_event("payment_intent.succeeded", intent)


def _applied(db: Database, payload: bytes) -> None:
    """The event as the route leaves it once applied: a row in the inbox."""
    with db.session() as session:
        assert TableInbox(session).record("stripe", parse_event(payload))


def _scope(header: str, length: int | None) -> dict[str, Any]:
    headers = [(b"stripe-signature", header.encode())]
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    return {"type": "http", "method": "POST", "path": URL, "headers": headers}


class _Wire:
    """The client's side of one request: its body in chunks, and what the server sends back."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.pending: list[Message] = [
            {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
            for i, chunk in enumerate(chunks)
        ]
        self.sent: list[Message] = []

    async def receive(self) -> Message:
        return self.pending.pop(0) if self.pending else {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        self.sent.append(message)


def _knock(
    door: StripeWebhookDoor, payload: bytes, header: str, chunks: int = 1
) -> tuple[_Wire, Receive | None]:
    size = -(-len(payload) // chunks)
    wire = _Wire([payload[i : i + size] for i in range(0, len(payload), size)])
    scope = _scope(header, len(payload))

    async def knock() -> Receive | None:
        key = door.match(scope)
        assert key == "stripe"
        return await door.answer(scope, wire.receive, wire.send, key)

    return wire, anyio.run(knock)


def _drain(onward: Receive) -> bytes:
    async def drain() -> bytes:
        body = b""
        while True:
            message = await onward()
            chunk: bytes = message.get("body", b"")
            body += chunk
            if not message.get("more_body", False):
                return body

    return anyio.run(drain)


def test_a_replay_is_answered_at_the_door_and_remembered(
    configured: Settings, db: Database
) -> None:
    payload, header = _event("EV-1001")
    _applied(db, payload)
    door = StripeWebhookDoor(configured, db)
    wire, onward = _knock(door, payload, header, chunks=3)  # a body in three parts
    assert onward is None
    start, body = wire.sent
    assert start["status"] == 200
    assert dict(start["headers"])[b"cache-control"] == b"no-store"
    answer = json.loads(body["body"])
    assert answer == {"received": True, "duplicate": True, "order": "EV-1001"}
    # Known applied now: answered from memory even with the inbox out of reach.
    door.db = Database(f"sqlite:///{Path(str(configured.data_dir)) / 'empty.db'}")
    wire, onward = _knock(door, payload, header)
    assert onward is None
    assert json.loads(wire.sent[1]["body"]) == answer
    # A door that has not seen it asks the inbox, fails, and hands the request on.
    stranger = StripeWebhookDoor(configured, door.db)
    wire, onward = _knock(stranger, payload, header)
    assert wire.sent == []
    assert onward is not None
    assert _drain(onward) == payload
    door.db.dispose()


def test_a_new_event_goes_on_to_the_route_with_the_body_it_sent(
    configured: Settings, db: Database
) -> None:
    door = StripeWebhookDoor(configured, db)
    payload, header = _event("EV-1002")  # never applied
    wire, onward = _knock(door, payload, header, chunks=2)
    assert wire.sent == []
    assert onward is not None
    assert _drain(onward) == payload
    assert door.applied == set()  # nothing remembered of an event not applied
    _applied(db, payload)
    _wire, onward = _knock(door, payload, f"t=1,v1={'0' * 64}")  # a forged replay
    assert onward is not None
    assert _drain(onward) == payload


def test_the_door_is_shut_when_stripe_is_not_configured(settings: Settings, db: Database) -> None:
    door = StripeWebhookDoor(settings, db)
    assert door.match(_scope("", 2)) is None


def test_through_the_app_refusals_still_come_from_the_route(
    configured: Settings, db: Database
) -> None:
    payload, header = _event("EV-1003")
    _applied(db, payload)
    with TestClient(create_app(configured, database=db)) as client:
        replay = client.post(URL, content=payload, headers={"Stripe-Signature": header})
        assert replay.status_code == 200
        assert replay.json() == {"received": True, "duplicate": True, "order": "EV-1003"}
        forged = client.post(URL, content=payload, headers={"Stripe-Signature": "t=1,v1=ab"})
        assert forged.status_code == 400
        assert forged.json()["field"] == "Stripe-Signature"
        big = b"{" + b" " * MAX_EVENT_BYTES + b"}"
        refused = client.post(URL, content=big, headers={"Stripe-Signature": header})
        assert refused.status_code == 413
        garbled = client.post(URL, content=b"not json", headers={"Stripe-Signature": header})
        assert garbled.status_code == 400  # the door read it; the route words the refusal
