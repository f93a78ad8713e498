"""A refund's idempotency key on SQLite and PostgreSQL, as Stripe treats one: the same key with
the same amount returns the first refund, the same key with another amount is refused (409,
naming idempotency_key) instead of silently refunding nothing; through the API, the service
and Stripe (localstripe replays a key's first answer whatever the amount)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import stripe
from fastapi.testclient import TestClient
from stripe._base_address import BaseAddresses

from evergreen.commerce import service
from evergreen.commerce.models import Order
from evergreen.commerce.payments import StripeProvider
from evergreen.db import Database
from evergreen.errors import Conflict
from tests.commerce.localstripe import STRIPE_TEST_KEY, localstripe
from tests.commerce.orders_world import SECRET, buy, make_shop
from tests.http_helpers import token_for

__all__ = ["localstripe"]  # the session fixture, imported for pytest

NOW = datetime.now(UTC)


def _paid_order(db: Database) -> int:
    with db.session() as session:
        make_shop(session)
        order = service.start_checkout(session, None, buy(), NOW).order
        service.mark_manual_paid(session, order.id, SECRET, NOW)
        return order.id


def _refunded(db: Database, order_id: int) -> int:
    with db.session() as session:
        row = session.get(Order, order_id)
        assert row is not None
        return row.refunded_cents


def test_the_api_refuses_a_key_reused_with_another_amount(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    owner = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    order_id = _paid_order(db)
    url = f"/api/v1/commerce/orders/{order_id}/refund"
    first = client.post(url, json={"amount": "1.00", "idempotency_key": "samekey-1"}, headers=owner)
    assert first.status_code == 200, first.text
    other = client.post(url, json={"amount": "5.00", "idempotency_key": "samekey-1"}, headers=owner)
    assert other.status_code == 409
    assert "idempotency_key" in other.text
    assert "1.00" in other.text
    again = client.post(url, json={"amount": "1.00", "idempotency_key": "samekey-1"}, headers=owner)
    assert again.status_code == 200
    assert again.json()["refunded"] == "1.00"
    assert _refunded(db, order_id) == 100


def test_a_key_for_the_rest_is_not_reused_for_an_amount(db: Database) -> None:
    order_id = _paid_order(db)
    with db.session() as session:
        service.refund_order(session, None, order_id, 500, "part-key-1", NOW)
        assert service.refund_order(session, None, order_id, 500, "part-key-1", NOW).duplicate
        with pytest.raises(Conflict) as refused:
            service.refund_order(session, None, order_id, None, "part-key-1", NOW)
        assert refused.value.field == "idempotency_key"
    with db.session() as session:
        service.refund_order(session, None, order_id, None, "rest-key-1", NOW)
        assert service.refund_order(session, None, order_id, None, "rest-key-1", NOW).duplicate
        with pytest.raises(Conflict, match="all that was left"):
            service.refund_order(session, None, order_id, 100, "rest-key-1", NOW)
    assert _refunded(db, order_id) == 4070


def test_a_stripe_refund_key_reused_with_another_amount_is_refused(
    db: Database, provider: StripeProvider, localstripe: str
) -> None:
    sdk = stripe.StripeClient(STRIPE_TEST_KEY, base_addresses=BaseAddresses(api=localstripe))
    with db.session() as session:
        make_shop(session)
        started = service.start_checkout(session, provider, buy(coupon="", country=""), NOW)
        order_id, payment_id = started.order.id, started.order.payment_id
    assert payment_id is not None
    sdk.v1.payment_intents.update(payment_id, {"payment_method": "pm_card_visa"})
    sdk.v1.payment_intents.confirm(payment_id)
    with db.session() as session:
        assert service.confirm(session, provider, order_id, SECRET, NOW).newly_paid
        service.refund_order(session, provider, order_id, 100, "stripe-key-1", NOW)
    with db.session() as session:
        with pytest.raises(Conflict):
            service.refund_order(session, provider, order_id, 500, "stripe-key-1", NOW)
        assert service.refund_order(session, provider, order_id, 100, "stripe-key-1", NOW).duplicate
    assert provider.retrieve(payment_id).amount_refunded == 100
    assert _refunded(db, order_id) == 100
