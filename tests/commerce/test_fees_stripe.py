"""Stripe's fee per order (localstripe with card test pricing, the real SDK) on SQLite and
PostgreSQL: learned on the buyer's return, or after a webhook by the reconciliation, exactly
once under replays and 64 concurrent workers, posted once to the product's stream, kept after a
refund, shown on the owner's order page and in the funnel report's liquidation ratio."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import stripe
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.commerce import service, tasks
from evergreen.commerce.models import Order
from evergreen.commerce.payments import StripeProvider
from evergreen.config import Settings
from evergreen.db import Database
from evergreen.funnels import queries as funnel_queries
from evergreen.funnels import service as funnels
from evergreen.funnels.rules import read_spend_csv
from evergreen.ledger.models import JournalEntry, Posting, Stream
from evergreen.web import create_app
from tests.commerce.localstripe import STRIPE_TEST_KEY, localstripe
from tests.commerce.orders_world import HOOK_SECRET, SECRET, buy, counts, make_shop, stripe_event
from tests.funnels.kit import build
from tests.http_helpers import sign_in, token_for

__all__ = ["localstripe"]  # the session fixture, imported for pytest

BOOK_FEE = 148  # 2.9 % of 40.70 EUR (1.18) + 0.30: the launcher's card test pricing


@pytest.fixture
def settings_stripe(settings: Settings, localstripe: str) -> Settings:
    return settings.model_copy(update={
        "stripe_secret_key": SecretStr(STRIPE_TEST_KEY),
        "stripe_webhook_secret": SecretStr(HOOK_SECRET),
        "stripe_api_base": localstripe,
    })  # fmt: skip


@pytest.fixture
def provider(settings_stripe: Settings) -> StripeProvider:
    found = service.provider_for(settings_stripe)
    assert isinstance(found, StripeProvider)
    return found


def _paid_at_stripe(db: Database, provider: StripeProvider, sdk: stripe.StripeClient) -> Order:
    """The book with its bump, coupon and DE tax (40.70 EUR), paid at Stripe by card."""
    with db.session() as session:
        make_shop(session)
        order = service.start_checkout(session, provider, buy(), datetime.now(UTC)).order
        session.expunge(order)
    assert order.payment_id
    assert order.total_cents == 4070
    sdk.v1.payment_intents.update(order.payment_id, {"payment_method": "pm_card_visa"})
    sdk.v1.payment_intents.confirm(order.payment_id)
    return order


def _webhook(db: Database, provider: StripeProvider, order: Order) -> service.Applied:
    intent = {
        "object": "payment_intent",
        "id": order.payment_id,
        "amount": 4070,
        "amount_received": 4070,
        "currency": "eur",
        "metadata": {"order": order.number},
    }
    with db.session() as session:  # fmt: skip
        payload, header = stripe_event("payment_intent.succeeded", intent)
        return service.receive_webhook(
            session, provider, payload, header, SECRET, datetime.now(UTC)
        )


def _fee_entries(session: Session, number: str) -> list[tuple[Decimal, str | None]]:
    """The ledger's fee transactions for an order: each cost posting's amount and stream."""
    rows = session.execute(
        select(Posting.amount, Stream.name)
        .join(JournalEntry, JournalEntry.id == Posting.transaction_id)
        .outerjoin(Stream, Stream.id == Posting.stream_id)
        .where(JournalEntry.narration == f"Payment fee on order {number}", Posting.amount > 0)
    ).all()
    return [(Decimal(amount), name) for amount, name in rows]


def _order(session: Session, number: str) -> Order:
    return session.scalars(select(Order).where(Order.number == number)).one()


def test_the_fee_is_learned_when_the_buyer_returns(
    db: Database, provider: StripeProvider, sdk: stripe.StripeClient
) -> None:
    order = _paid_at_stripe(db, provider, sdk)
    payment = provider.retrieve(str(order.payment_id))
    assert payment.fee == BOOK_FEE  # one retrieve: the charge's balance transaction expanded
    with db.session() as session:
        done = service.confirm(session, provider, order.id, SECRET, datetime.now(UTC))
        assert (done.newly_paid, done.fee_learned) == (True, True)
    with db.session() as session:
        row = _order(session, order.number)
        assert (row.fee_cents, row.fee_known_at is not None) == (BOOK_FEE, True)
        assert _fee_entries(session, order.number) == [(Decimal("1.48"), "Book")]
        assert counts(session, order.number)["entries"] == 3  # book, workbook, fee
        again = service.confirm(session, provider, order.id, SECRET, datetime.now(UTC))
        assert not again.changed
        assert not again.fee_learned
        assert service.fill_fees(session, provider, datetime.now(UTC)) == []
        assert _fee_entries(session, order.number) == [(Decimal("1.48"), "Book")]


def test_after_a_webhook_the_reconciliation_learns_the_fee_and_a_refund_keeps_it(
    db: Database, provider: StripeProvider, sdk: stripe.StripeClient, settings_stripe: Settings
) -> None:
    order = _paid_at_stripe(db, provider, sdk)
    assert _webhook(db, provider, order).newly_paid
    with db.session() as session:  # the webhook does not ask Stripe: the fee is still unknown
        row = _order(session, order.number)
        assert (row.status, row.fee_cents, row.fee_known_at) == ("paid", 0, None)
        assert _fee_entries(session, order.number) == []
    assert tasks.run_fees(db, settings_stripe) == [order.number]  # the 5-minute task's pass
    assert tasks.run_fees(db, settings_stripe) == []
    with db.session() as session:
        assert service.refund_order(
            session, provider, order.id, None, uuid.uuid4().hex, datetime.now(UTC)
        )
    with db.session() as session:
        row = _order(session, order.number)
        assert (row.status, row.fee_cents) == ("refunded", BOOK_FEE)
        # Stripe keeps its fee on a refund: the cost stands once, the sales are reversed
        assert _fee_entries(session, order.number) == [(Decimal("1.48"), "Book")]


def test_64_concurrent_workers_learn_the_fee_once(
    db: Database, provider: StripeProvider, sdk: stripe.StripeClient
) -> None:
    order = _paid_at_stripe(db, provider, sdk)
    assert _webhook(db, provider, order).newly_paid

    def learn(i: int) -> bool:
        with db.session() as session:
            now = datetime.now(UTC)
            if i % 2:  # the buyer's return and the reconciliation, at once
                return service.confirm(session, provider, order.id, SECRET, now).fee_learned
            return service.fill_fees(session, provider, now) == [order.number]

    with ThreadPoolExecutor(max_workers=64) as pool:
        learned = list(pool.map(learn, range(64)))
    assert sum(learned) == 1
    with db.session() as session:
        assert _order(session, order.number).fee_cents == BOOK_FEE
        assert _fee_entries(session, order.number) == [(Decimal("1.48"), "Book")]
        assert counts(session, order.number)["entries"] == 3


def test_a_bank_transfer_has_a_known_zero_fee(db: Database) -> None:
    with db.session() as session:
        make_shop(session)
        order = service.start_checkout(session, None, buy(), datetime.now(UTC)).order
        service.mark_manual_paid(session, order.id, SECRET, datetime.now(UTC))
        row = _order(session, order.number)
        assert (row.fee_cents, row.fee_known_at is not None) == (0, True)
        assert _fee_entries(session, order.number) == []


def test_the_liquidation_ratio_moves_with_the_fee(
    db: Database, provider: StripeProvider, sdk: stripe.StripeClient
) -> None:
    built = build(db)
    today = datetime.now(UTC)
    with db.session() as session:
        service.add_price(session, built.product_id, service.PriceDraft("EUR", "40.00"))
        service.set_status(session, built.product_id, "active")
        spend = ["day,campaign,source,amount,currency\n", f"{today.date()},Cold,fb,20.00,EUR\n"]
        funnels.import_spend(session, built.funnel_id, read_spend_csv(spend))
        data = service.CheckoutInput(
            slug="course", currency="EUR", email="bea@example.com", nonce=uuid.uuid4().hex,
            funnel_id=built.funnel_id, step_id=built.order_id, variant="A",
        )  # fmt: skip
        order = service.start_checkout(session, provider, data, today).order
        session.expunge(order)
    assert order.payment_id
    sdk.v1.payment_intents.update(order.payment_id, {"payment_method": "pm_card_visa"})
    sdk.v1.payment_intents.confirm(order.payment_id)
    intent = {"object": "payment_intent", "id": order.payment_id, "amount": 4000,
              "currency": "eur", "metadata": {"order": order.number}}  # fmt: skip
    with db.session() as session:
        payload, header = stripe_event("payment_intent.succeeded", intent)
        assert service.receive_webhook(session, provider, payload, header, SECRET, today).newly_paid

    def total() -> tuple[Decimal, Decimal | None]:
        with db.session(writer=False) as session:
            found = funnel_queries.report(session, built.funnel_id, today.date(), today.date())
            assert found is not None
            return found.total.fees, found.total.liquidation_ratio

    assert total() == (Decimal(0), Decimal("2.0000"))  # 40.00 ÷ 20.00 before Stripe says
    with db.session() as session:
        assert service.fill_fees(session, provider, datetime.now(UTC)) == [order.number]
    # 2.9 % of 40.00 + 0.30 = 1.46 kept by Stripe: (40.00 - 1.46) ÷ 20.00
    assert total() == (Decimal("1.46"), Decimal("1.9270"))


@pytest.fixture
def stripe_client(settings_stripe: Settings, db: Database) -> Iterator[TestClient]:
    with TestClient(create_app(settings_stripe, database=db)) as client:
        yield client


def test_the_owner_sees_the_fee_on_the_order_page_and_in_the_api(
    stripe_client: TestClient,
    db: Database,
    people: dict[str, str],
    provider: StripeProvider,
    sdk: stripe.StripeClient,
) -> None:
    order = _paid_at_stripe(db, provider, sdk)
    assert _webhook(db, provider, order).newly_paid
    sign_in(stripe_client, people["owner"])
    page = stripe_client.get(f"/commerce/orders/{order.id}")
    assert page.status_code == 200
    assert "Payment fee" in page.text
    assert "not known yet" in page.text
    with db.session() as session:
        assert service.fill_fees(session, provider, datetime.now(UTC)) == [order.number]
    page = stripe_client.get(f"/commerce/orders/{order.id}")
    assert "not known yet" not in page.text
    fee = page.text.split('id="order-fee">', 1)[1].split("</dd>", 1)[0]
    assert "1.48" in fee
    owner = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    got = stripe_client.get(f"/api/v1/commerce/orders/{order.id}", headers=owner)
    assert got.status_code == 200
    assert got.json()["fee"] == "1.48"
    assert got.json()["fee_known_at"] is not None
