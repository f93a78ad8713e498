"""Stripe's fee of off-session charges (one-click upsells, renewals) learned the moment the charge
succeeds, and of any order when Stripe's charge.updated says the balance transaction is there;
posted to the ledger once under webhook replays and reconciliation passes (localstripe with card
test pricing, the real SDK, SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import stripe
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evergreen.commerce import service, tasks
from evergreen.commerce.models import InboxEvent, Order
from evergreen.commerce.payments import Provider, StripeProvider
from evergreen.config import Settings
from evergreen.db import Database
from evergreen.ledger.models import JournalEntry, Posting, Stream
from evergreen.signatures import sign
from evergreen.web import create_app
from tests.commerce.localstripe import localstripe
from tests.commerce.orders_world import HOOK_SECRET, SECRET, buy, make_shop, stripe_event
from tests.commerce.subscriptions_world import make_club, pay, stripe_settings, subscribe_input
from tests.commerce.upsell_world import card_method, make_funnel, offer, open_parent

__all__ = ["localstripe"]  # the session fixture, imported for pytest

COURSE_FEE = 199  # 2.9 % of 58.31 EUR (the course, 19 % DE tax) rounded half up + 0.30
CLUB_FEE = 59  # 2.9 % of 10.00 EUR + 0.30
BOOK_FEE = 148  # 2.9 % of 40.70 EUR + 0.30
URL = "/commerce/webhooks/stripe"


@pytest.fixture
def shop(settings: Settings, localstripe: str) -> Settings:
    return stripe_settings(settings, localstripe)


@pytest.fixture
def provider(shop: Settings) -> StripeProvider:
    found = service.provider_for(shop)
    assert isinstance(found, StripeProvider)
    return found


def _fee_entries(session: Session, number: str) -> list[tuple[Decimal, str | None]]:
    """The ledger's fee transactions for an order: each cost posting's amount and stream."""
    rows = session.execute(
        select(Posting.amount, Stream.name)
        .join(JournalEntry, JournalEntry.id == Posting.transaction_id)
        .outerjoin(Stream, Stream.id == Posting.stream_id)
        .where(JournalEntry.narration == f"Payment fee on order {number}", Posting.amount > 0)
    ).all()
    return [(Decimal(amount), name) for amount, name in rows]


def _order(session: Session, **where: object) -> Order:
    query = select(Order).filter_by(**where)
    return session.scalars(query).one()


def _replay(db: Database, provider: Provider, kind: str, obj: dict[str, object]) -> None:
    """Stripe's event for a paid order, delivered twice (signed at this moment)."""
    payload, header = stripe_event(kind, obj)
    for duplicate in (False, True):
        with db.session() as session:
            done = service.receive_webhook(
                session, provider, payload, header, SECRET, datetime.now(UTC)
            )
            assert done.duplicate is duplicate
            assert not done.fee_learned  # known already: nothing to learn


def _intent(order: Order) -> dict[str, object]:
    return {"object": "payment_intent", "id": order.payment_id, "amount": order.total_cents,
            "amount_received": order.total_cents, "currency": order.currency.lower(),
            "metadata": {"order": order.number}}  # fmt: skip


def _charge(sdk: stripe.StripeClient, order: Order) -> dict[str, object]:
    assert order.payment_id
    charge = sdk.v1.payment_intents.retrieve(order.payment_id).latest_charge
    charge_id = charge if isinstance(charge, str) else getattr(charge, "id", "")
    assert charge_id
    return {"object": "charge", "id": charge_id, "payment_intent": order.payment_id,
            "amount": order.total_cents, "currency": order.currency.lower(),
            "balance_transaction": "txn_x", "metadata": {"order": order.number}}  # fmt: skip


def test_an_upsells_fee_is_learned_at_charge_time_and_posted_once(
    db: Database, provider: StripeProvider, sdk: stripe.StripeClient, shop: Settings
) -> None:
    with db.session() as session:
        world = make_funnel(session)
        parent = open_parent(session, provider, world).order
        parent_id, payment_id = parent.id, parent.payment_id
        token = service.order_link(SECRET, parent.number)
    assert payment_id
    sdk.v1.payment_intents.update(
        payment_id, {"payment_method": card_method(sdk, "4242424242424242")}
    )
    sdk.v1.payment_intents.confirm(payment_id)
    with db.session() as session:
        assert service.confirm(session, provider, parent_id, SECRET, datetime.now(UTC)).newly_paid
    with db.session() as session:
        taken = service.take_upsell(
            session, provider, SECRET, token, offer(world), datetime.now(UTC)
        )
        assert (taken.outcome, taken.newly_paid) == (service.OffSession.SUCCEEDED, True)
    with db.session() as session:
        child = _order(session, parent_order_id=parent_id)
        assert (child.status, child.total_cents) == ("paid", 5831)
        assert (child.fee_cents, child.fee_known_at is not None) == (COURSE_FEE, True)
        assert _fee_entries(session, child.number) == [(Decimal("1.99"), "Course")]
        session.expunge(child)
    _replay(db, provider, "payment_intent.succeeded", _intent(child))
    _replay(db, provider, "charge.updated", _charge(sdk, child))
    assert tasks.run_fees(db, shop) == []  # the reconciliation finds it known
    with db.session() as session:
        assert _order(session, id=child.id).fee_cents == COURSE_FEE
        assert _fee_entries(session, child.number) == [(Decimal("1.99"), "Course")]


def test_a_renewals_fee_is_learned_at_charge_time_and_posted_once(
    db: Database, provider: StripeProvider, sdk: stripe.StripeClient, shop: Settings
) -> None:
    with db.session() as session:
        make_club(session)
        done = service.subscriptions.subscribe(
            session, provider, subscribe_input(), datetime.now(UTC)
        )
        sub_id, first = done.subscription.id, done.order
        assert first is not None
        first_id, first_payment = first.id, first.payment_id
    assert first_payment
    pay(sdk, first_payment)
    with db.session() as session:
        assert service.confirm(session, provider, first_id, SECRET, datetime.now(UTC)).newly_paid
        sub = service.subscriptions.get_subscription(session, sub_id)
        end = sub.current_period_end
    assert end is not None
    assert [r.outcome for r in tasks.run_renewals(db, shop, end)] == ["paid"]
    with db.session() as session:
        renewal = _order(session, checkout_key=f"renewal:{sub_id}:2")
        assert renewal.status == "paid"
        assert (renewal.fee_cents, renewal.fee_known_at is not None) == (CLUB_FEE, True)
        assert _fee_entries(session, renewal.number) == [(Decimal("0.59"), "Club")]
        session.expunge(renewal)
    _replay(db, provider, "payment_intent.succeeded", _intent(renewal))
    _replay(db, provider, "charge.updated", _charge(sdk, renewal))
    assert tasks.run_fees(db, shop) == []
    assert tasks.run_renewals(db, shop, end) == []  # the period is paid: nothing charged again
    with db.session() as session:
        assert _fee_entries(session, renewal.number) == [(Decimal("0.59"), "Club")]


@pytest.fixture
def hook_client(shop: Settings, db: Database) -> Iterator[TestClient]:
    with TestClient(create_app(shop, database=db)) as client:
        yield client


def test_charge_updated_learns_the_fee_once_and_an_unknown_charge_is_recorded(
    db: Database, provider: StripeProvider, sdk: stripe.StripeClient, hook_client: TestClient
) -> None:
    with db.session() as session:
        make_shop(session)
        order = service.start_checkout(session, provider, buy(), datetime.now(UTC)).order
        session.expunge(order)
    assert order.payment_id
    pay(sdk, order.payment_id)
    payload, header = stripe_event("payment_intent.succeeded", _intent(order))
    paid = hook_client.post(URL, content=payload, headers={"Stripe-Signature": header})
    assert paid.json() == {"received": True, "duplicate": False, "order": order.number}
    with db.session() as session:  # the success event does not ask Stripe: not known yet
        assert _order(session, id=order.id).fee_known_at is None
    payload, header = stripe_event("charge.updated", _charge(sdk, order))
    for duplicate in (False, True, True):
        got = hook_client.post(URL, content=payload, headers={"Stripe-Signature": header})
        assert got.status_code == 200, got.text
        assert got.json() == {"received": True, "duplicate": duplicate, "order": order.number}
    with db.session() as session:
        row = _order(session, id=order.id)
        assert (row.fee_cents, row.fee_known_at is not None) == (BOOK_FEE, True)
        assert _fee_entries(session, order.number) == [(Decimal("1.48"), "Book")]
        assert service.fill_fees(session, provider, datetime.now(UTC)) == []
    stranger = {"object": "charge", "id": "ch_nobody", "payment_intent": "pi_nobody",
                "amount": 999, "currency": "eur", "metadata": {}}  # fmt: skip
    payload, header = stripe_event("charge.updated", stranger, event_id="evt_stranger_charge")
    for duplicate in (False, True):
        got = hook_client.post(URL, content=payload, headers={"Stripe-Signature": header})
        assert got.status_code == 200, got.text
        assert got.json() == {"received": True, "duplicate": duplicate, "order": None}
    with db.session() as session:
        kinds = session.execute(
            select(InboxEvent.kind, InboxEvent.payment_id).where(
                InboxEvent.event_id == "evt_stranger_charge"
            )
        ).all()
        assert [tuple(row) for row in kinds] == [("charge_updated", "pi_nobody")]
        assert session.scalar(select(func.count()).select_from(Order)) == 1
    stale = stripe_event("charge.updated", stranger)[0]  # signed 400 s ago: refused
    old = int(datetime.now(UTC).timestamp()) - 400
    refused = hook_client.post(
        URL, content=stale, headers={"Stripe-Signature": sign(HOOK_SECRET, old, stale)}
    )
    assert refused.status_code == 400
    assert "Stripe-Signature" in refused.json()["detail"]
