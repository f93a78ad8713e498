"""Subscriptions billed through Stripe (localstripe, the real SDK) on SQLite and PostgreSQL:
the first period paid with the card saved, renewals charged off-session once per period even
with 64 renewal runs at once, a declined card's dunning mails (real SMTP) ending in recovery or
a delinquent end, a cancellation at the period's end, a trial, and a card changed by the buyer
(a SetupIntent) that the next renewal charges."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import stripe
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from evergreen.commerce import service, tasks
from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.models import Grant, Order, Subscription, SubscriptionEvent
from evergreen.commerce.rules.delivery import buyer_token
from evergreen.commerce.views.buyers import BUYER_COOKIE
from evergreen.config import Settings
from evergreen.db import Database, utcnow
from evergreen.ledger.models import JournalEntry
from evergreen.web import create_app
from tests.commerce.localstripe import localstripe
from tests.commerce.orders_world import SECRET
from tests.commerce.subscriptions_world import make_club, pay, stripe_settings, subscribe_input
from tests.http_helpers import csrf_from
from tests.mail.smtp_server import FaultyHandler, smtp_server

__all__ = ["localstripe"]  # the session fixture, imported for pytest


@pytest.fixture
def smtp() -> Iterator[tuple[FaultyHandler, int]]:
    with smtp_server() as running:
        yield running


@pytest.fixture
def shop(settings: Settings, localstripe: str, smtp: tuple[FaultyHandler, int]) -> Settings:
    return stripe_settings(settings, localstripe, smtp[1])


def _subscribed(db: Database, shop: Settings, sdk: stripe.StripeClient, slug: str = "club") -> int:
    """Bea subscribes and pays the first period in her browser; the subscription's id."""
    provider = service.provider_for(shop)
    with db.session() as session:
        make_club(session)
        done = service.subscriptions.subscribe(
            session, provider, subscribe_input(slug=slug), datetime.now(UTC)
        )
        sub_id = done.subscription.id
        order = done.order
    if order is None:
        return sub_id
    assert order.payment_id
    assert done.client_secret
    pay(sdk, order.payment_id)
    with db.session() as session:
        service.confirm(session, provider, order.id, SECRET, datetime.now(UTC))
    return sub_id


def _sub(db: Database, sub_id: int) -> Subscription:
    with db.session() as session:
        row = session.get(Subscription, sub_id)
        assert row is not None
        session.expunge(row)
        return row


def _kinds(db: Database, sub_id: int) -> list[str]:
    with db.session() as session:
        query = select(SubscriptionEvent.kind).where(SubscriptionEvent.subscription_id == sub_id)
        return list(session.scalars(query.order_by(SubscriptionEvent.id)))


def _ledger_entries(db: Database) -> int:
    with db.session() as session:
        query = select(func.count()).select_from(JournalEntry)
        return int(session.scalar(query.where(JournalEntry.source == "commerce")) or 0)


def _paid_orders(db: Database, sub_id: int) -> int:
    with db.session() as session:
        query = select(func.count()).select_from(Order)
        return int(
            session.scalar(query.where(Order.subscription_id == sub_id, Order.status == "paid"))
            or 0
        )


def test_a_renewal_is_charged_once_under_64_concurrent_runs(
    db: Database, shop: Settings, sdk: stripe.StripeClient
) -> None:
    sub_id = _subscribed(db, shop, sdk)
    first = _sub(db, sub_id)
    assert (first.status, first.period, first.customer is not None) == ("active", 1, True)
    entries = _ledger_entries(db)
    assert entries > 0  # the first period's income is in the ledger
    assert first.current_period_end is not None
    later = first.current_period_end + timedelta(minutes=1)
    with ThreadPoolExecutor(max_workers=64) as pool:
        runs = list(pool.map(lambda _i: tasks.run_renewals(db, shop, later), range(64)))
    outcomes = [r.outcome for run in runs for r in run]
    assert outcomes.count("paid") == 1
    after = _sub(db, sub_id)
    assert (after.status, after.period) == ("active", 2)
    assert after.current_period_start == first.current_period_end
    assert _paid_orders(db, sub_id) == 2
    assert _kinds(db, sub_id) == ["start", "renewal"]
    assert tasks.run_fees(db, shop) == []  # the renewal's Stripe fee: learned as it was charged
    assert _ledger_entries(db) == 2 * entries  # the renewal's income and fee, once
    with db.session() as session:  # the renewal's charge exists once at Stripe
        order = session.scalar(select(Order).where(Order.checkout_key == f"renewal:{sub_id}:2"))
        assert order is not None
        assert order.payment_id
        intents = sdk.v1.payment_intents.list({"limit": 100}).data
        mine = [i for i in intents if i.customer == first.customer and i.status == "succeeded"]
        assert len(mine) == 2


def _bad_card(db: Database, sdk: stripe.StripeClient, sub_id: int) -> None:
    """The saved card starts declining (4000000000000341 attaches, then declines charges)."""
    sub = _sub(db, sub_id)
    card = {"number": "4000000000000341", "exp_month": 12, "exp_year": 2034, "cvc": "123"}
    method = sdk.v1.payment_methods.create({"type": "card", "card": card})  # type: ignore[typeddict-item]
    sdk.v1.payment_methods.attach(method.id, {"customer": sub.customer or ""})
    with db.session() as session:
        row = session.get(Subscription, sub_id)
        assert row is not None
        row.payment_method = method.id


def test_a_declined_renewal_is_dunned_then_recovered_with_a_new_card(
    db: Database,
    shop: Settings,
    sdk: stripe.StripeClient,
    smtp: tuple[FaultyHandler, int],
) -> None:
    sub_id = _subscribed(db, shop, sdk)
    _bad_card(db, sdk, sub_id)
    end = _sub(db, sub_id).current_period_end
    assert end is not None
    assert [r.outcome for r in tasks.run_renewals(db, shop, end)] == ["failed"]
    due = _sub(db, sub_id)
    assert due.status == "past_due"
    assert due.grace_until == end + timedelta(days=7)
    assert due.next_attempt_at == end + timedelta(days=1)
    assert tasks.run_renewals(db, shop, end + timedelta(hours=1)) == []  # not yet
    assert [r.outcome for r in tasks.run_renewals(db, shop, end + timedelta(days=1))] == ["failed"]
    mails = [m.content.decode() for m in smtp[0].received]  # type: ignore[union-attr]
    assert len(mails) == 2
    assert "is due and was not made: Your card was declined." in mails[0]
    assert "/account/signin/" in mails[0]
    provider = service.provider_for(shop)
    with db.session() as session:
        order = service.subscriptions.pay_period(
            session, provider, sub_id, datetime.now(UTC), email="bea@example.com"
        )
        order_id, payment_id = order.id, order.payment_id
    assert payment_id
    pay(sdk, payment_id)  # a new card, in the buyers' area
    with db.session() as session:
        done = service.confirm(session, provider, order_id, SECRET, datetime.now(UTC))
        assert done.newly_paid
    back = _sub(db, sub_id)
    assert (back.status, back.period, back.grace_until) == ("active", 2, None)
    assert _kinds(db, sub_id) == ["start", "payment_failed", "recovered"]
    assert tasks.run_renewals(db, shop, end + timedelta(days=3)) == []  # nothing charged again


def test_unpaid_after_the_grace_period_ends_delinquent_and_revokes(
    db: Database, shop: Settings, sdk: stripe.StripeClient
) -> None:
    sub_id = _subscribed(db, shop, sdk)
    _bad_card(db, sdk, sub_id)
    end = _sub(db, sub_id).current_period_end
    assert end is not None
    for days in (0, 1, 3, 5):
        assert [r.outcome for r in tasks.run_renewals(db, shop, end + timedelta(days=days))] == [
            "failed"
        ]
    outcomes = [r.outcome for r in tasks.run_renewals(db, shop, end + timedelta(days=7))]
    assert outcomes == ["ended_delinquent"]
    gone = _sub(db, sub_id)
    assert (gone.status, gone.end_reason) == ("ended", "delinquent")
    assert _kinds(db, sub_id) == ["start", "payment_failed", "delinquent"]
    with db.session() as session:
        grants = session.scalars(select(Grant).where(Grant.source == f"subscription:{sub_id}"))
        assert [g.status for g in grants] == ["revoked"]
        unpaid = session.scalar(select(Order).where(Order.checkout_key == f"renewal:{sub_id}:2"))
        assert unpaid is not None
        assert unpaid.status == "pending"  # kept open: paid late, it revives the subscription


def test_cancel_at_period_end_ends_without_a_charge_and_reactivation_undoes_it(
    db: Database, shop: Settings, sdk: stripe.StripeClient
) -> None:
    sub_id = _subscribed(db, shop, sdk)
    now = datetime.now(UTC)
    with db.session() as session:
        service.subscriptions.cancel(session, sub_id, now, email="bea@example.com")
        service.subscriptions.reactivate(session, sub_id, now)
        service.subscriptions.cancel(session, sub_id, now)
    end = _sub(db, sub_id).current_period_end
    assert end is not None
    assert tasks.run_renewals(db, shop, end - timedelta(minutes=1)) == []
    assert [r.outcome for r in tasks.run_renewals(db, shop, end)] == ["ended"]
    gone = _sub(db, sub_id)
    assert (gone.status, gone.end_reason, gone.ended_at) == ("ended", "voluntary", end)
    assert _paid_orders(db, sub_id) == 1
    assert _kinds(db, sub_id) == ["start", "uncancel", "cancel"]


def test_a_trial_charges_nothing_then_asks_for_the_first_payment(
    db: Database, shop: Settings, sdk: stripe.StripeClient, smtp: tuple[FaultyHandler, int]
) -> None:
    sub_id = _subscribed(db, shop, sdk, slug="trial-club")
    trial = _sub(db, sub_id)
    assert (trial.status, trial.period, _paid_orders(db, sub_id)) == ("trialing", 0, 0)
    assert trial.trial_end is not None
    assert [r.outcome for r in tasks.run_renewals(db, shop, trial.trial_end)] == ["failed"]
    assert len(smtp[0].received) == 1
    assert b"no card is saved for it yet" in smtp[0].received[0].content  # type: ignore[operator]
    provider = service.provider_for(shop)
    with db.session() as session:
        order = service.subscriptions.pay_period(session, provider, sub_id, datetime.now(UTC))
        order_id, payment_id = order.id, order.payment_id
    assert payment_id
    pay(sdk, payment_id)
    with db.session() as session:
        service.confirm(session, provider, order_id, SECRET, datetime.now(UTC))
    paid = _sub(db, sub_id)
    assert (paid.status, paid.period) == ("active", 1)
    assert paid.current_period_start == trial.trial_end  # periods count from the trial's end
    assert _kinds(db, sub_id) == ["start"]  # a trial had no MRR to lose


def test_the_buyer_changes_the_card_and_the_next_renewal_charges_it(
    db: Database, shop: Settings, sdk: stripe.StripeClient
) -> None:
    sub_id = _subscribed(db, shop, sdk)
    provider = service.provider_for(shop)
    with db.session() as session:
        secret = service.subscriptions.start_card_change(
            session, provider, sub_id, "nonce-1", email="bea@example.com"
        )
        again = service.subscriptions.start_card_change(session, provider, sub_id, "nonce-1")
    assert again == secret  # the same form twice: one setup
    setup_id = secret.split("_secret_")[0]
    with db.session() as session:  # not confirmed yet: refused, nothing changed
        with pytest.raises(CommerceInputError) as early:
            service.subscriptions.finish_card_change(session, provider, sub_id, setup_id)
        assert early.value.field == "card"
    card = {"number": "5555555555554444", "exp_month": 12, "exp_year": 2034, "cvc": "123"}
    method = sdk.v1.payment_methods.create({"type": "card", "card": card})  # type: ignore[typeddict-item]
    sdk.v1.setup_intents.confirm(setup_id, {"payment_method": method.id})  # what Stripe.js does
    with db.session() as session:
        sub = service.subscriptions.finish_card_change(
            session, provider, sub_id, setup_id, email="bea@example.com"
        )
        new_card = sub.payment_method
    assert new_card == method.id
    end = _sub(db, sub_id).current_period_end
    assert end is not None
    assert [r.outcome for r in tasks.run_renewals(db, shop, end)] == ["paid"]
    with db.session() as session:
        order = session.scalar(select(Order).where(Order.checkout_key == f"renewal:{sub_id}:2"))
        assert order is not None
        assert order.payment_id
    assert sdk.v1.payment_intents.retrieve(order.payment_id).payment_method == new_card


def test_the_card_page_saves_a_new_card_for_the_renewals(
    db: Database, shop: Settings, sdk: stripe.StripeClient
) -> None:
    sub_id = _subscribed(db, shop, sdk)
    with TestClient(create_app(shop, database=db)) as client:
        cookie = buyer_token(
            SECRET, "buyer-session", "bea@example.com", utcnow() + timedelta(hours=1)
        )
        client.cookies.set(BUYER_COOKIE, cookie)
        account = client.get("/account")
        assert "Change card" in account.text
        token = csrf_from(account.text)
        page = client.post(f"/account/subscriptions/{sub_id}/card", data={"csrf_token": token})
        assert page.status_code == 200
        secret = re.search(r'data-secret="(seti_\w+?)_secret_', page.text)
        assert secret is not None
        card = {"number": "5555555555554444", "exp_month": 12, "exp_year": 2034, "cvc": "123"}
        method = sdk.v1.payment_methods.create({"type": "card", "card": card})  # type: ignore[typeddict-item]
        sdk.v1.setup_intents.confirm(secret.group(1), {"payment_method": method.id})
        bad = client.get(f"/account/subscriptions/{sub_id}/card/done?setup=seti_nope")
        assert "not known" in bad.text
        done = client.get(f"/account/subscriptions/{sub_id}/card/done?setup={secret.group(1)}")
        assert "Card changed" in done.text
    assert _sub(db, sub_id).payment_method == method.id
