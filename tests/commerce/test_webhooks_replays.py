"""Replayed Stripe webhooks through POST /commerce/webhooks/stripe: a replay is answered from a
read (it never queues for SQLite's write lock), and first deliveries racing their own replays
and older replays still apply each event once, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
import stripe
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from stripe._base_address import BaseAddresses

from evergreen.commerce import service
from evergreen.commerce.models import InboxEvent
from evergreen.config import Settings
from evergreen.db import Database
from evergreen.ledger.models import JournalEntry
from evergreen.web import create_app
from tests.commerce.localstripe import STRIPE_TEST_KEY, localstripe
from tests.commerce.orders_world import HOOK_SECRET, buy, counts, make_shop, stripe_event

__all__ = ["localstripe"]  # the session fixture, imported for pytest

URL = "/commerce/webhooks/stripe"


@pytest.fixture
def hook_client(settings: Settings, db: Database, localstripe: str) -> Iterator[TestClient]:
    configured = settings.model_copy(update={
        "stripe_secret_key": SecretStr(STRIPE_TEST_KEY),
        "stripe_webhook_secret": SecretStr(HOOK_SECRET),
        "stripe_api_base": localstripe,
    })  # fmt: skip
    with TestClient(create_app(configured, database=db)) as client:
        yield client


def _paid_events(
    db: Database, client: TestClient, localstripe: str, n: int
) -> list[tuple[str, bytes, str]]:
    """`n` Stripe orders, paid by card at localstripe: (number, signed success event, header)."""
    provider = service.provider_for(client.app.state.settings)  # type: ignore[attr-defined]
    sdk = stripe.StripeClient(STRIPE_TEST_KEY, base_addresses=BaseAddresses(api=localstripe))
    events = []
    with db.session() as session:
        make_shop(session)
    for i in range(n):
        with db.session() as session:
            started = service.start_checkout(
                session, provider, buy(email=f"b{i}@example.com"), datetime.now(UTC)
            )
            order = started.order
            number, payment_id, total = order.number, order.payment_id, order.total_cents
        assert payment_id
        sdk.v1.payment_intents.update(payment_id, {"payment_method": "pm_card_visa"})
        sdk.v1.payment_intents.confirm(payment_id)
        intent = {"object": "payment_intent", "id": payment_id, "amount": total,
                  "amount_received": total, "currency": "eur",
                  "metadata": {"order": number}}  # fmt: skip
        events.append((number, *stripe_event("payment_intent.succeeded", intent)))
    return events


def _post(client: TestClient, payload: bytes, header: str) -> tuple[int, bool | None]:
    answer = client.post(URL, content=payload, headers={"Stripe-Signature": header})
    return answer.status_code, answer.json().get("duplicate")


def _entries(db: Database) -> int:
    with db.session(writer=False) as session:
        found = select(func.count()).select_from(JournalEntry)
        return int(session.scalar(found.where(JournalEntry.source == "commerce")) or 0)


def test_64_deliveries_mixing_first_ones_and_replays_apply_each_event_once(
    db: Database, hook_client: TestClient, localstripe: str
) -> None:
    events = _paid_events(db, hook_client, localstripe, 4)
    old, new = events[0], events[1:]
    assert _post(hook_client, old[1], old[2]) == (200, False)
    per_order = _entries(db)
    assert per_order > 0
    mixed = [old] * 16 + new * 16  # 16 replays of an applied event, 3 x 16 first-vs-replay
    random.Random(5).shuffle(mixed)
    with ThreadPoolExecutor(max_workers=64) as pool:
        answers = list(pool.map(lambda e: (e[0], *_post(hook_client, e[1], e[2])), mixed))
    assert {status for _n, status, _d in answers} == {200}
    firsts = sorted(number for number, _s, duplicate in answers if not duplicate)
    assert firsts == sorted(number for number, _p, _h in new)  # one first delivery each
    assert _entries(db) == 4 * per_order
    with db.session(writer=False) as session:
        assert session.scalar(select(func.count()).select_from(InboxEvent)) == 4
        for number, _p, _h in events:
            held = counts(session, number)
            assert held["status"] == "paid"
            assert len(held["conversions"]) == 1
            assert held["commissions"] == 1


# SQLite alone: its one write lock is what a replay must not wait for (PostgreSQL's readers
# never wait for writers, so there the test could not tell the old route from the new).
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_replay_is_answered_while_another_process_holds_the_write_lock(
    db: Database, hook_client: TestClient, localstripe: str
) -> None:
    [(number, payload, header)] = _paid_events(db, hook_client, localstripe, 1)
    assert _post(hook_client, payload, header) == (200, False)
    path = make_url(db.url).database
    assert path
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another process writing, for as long as it likes
        with ThreadPoolExecutor(max_workers=1) as pool:
            replay = pool.submit(_post, hook_client, payload, header)
            # Taking the writer would wait out the busy timeout (10 s x 3) and answer 503.
            assert replay.result(timeout=5) == (200, True)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with db.session(writer=False) as session:
        assert counts(session, number)["status"] == "paid"
