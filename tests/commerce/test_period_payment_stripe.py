"""A past-due period paid by the buyer while the renewal retry comes due (localstripe, on
SQLite and PostgreSQL): one open payment per period's order, so the period is charged once and
the order keeps the payment that paid it.

Before: the retry charged the saved card off-session whatever the buyer's payment was doing
(succeeded but not yet applied, waiting for the bank, or open on the buyer's page) and wrote its
own payment id over the buyer's; and "pay now" opened a second payment over a retry's charge
that was waiting for the buyer's bank."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import stripe
from sqlalchemy import select

from evergreen.commerce import service, tasks
from evergreen.commerce.models import Order, Subscription
from evergreen.config import Settings
from evergreen.db import Database
from tests.commerce.localstripe import localstripe
from tests.commerce.orders_world import SECRET
from tests.commerce.subscriptions_world import make_club, pay, stripe_settings, subscribe_input
from tests.commerce.upsell_world import authenticate, card_method

__all__ = ["localstripe"]  # the session fixture, imported for pytest

DECLINES = "4000000000000341"  # attaches, then declines charges
ASKS_THE_BANK = "4000002500003155"  # 3-D Secure on every charge


@pytest.fixture
def shop(settings: Settings, localstripe: str) -> Settings:
    return stripe_settings(settings, localstripe)


def _subscribed(db: Database, shop: Settings, sdk: stripe.StripeClient) -> int:
    """Bea subscribes and pays the first period with a card saved for the renewals."""
    provider = service.provider_for(shop)
    with db.session() as session:
        make_club(session)
        done = service.subscriptions.subscribe(session, provider, subscribe_input(), _now())
        sub_id = done.subscription.id
        assert done.order is not None
        order_id, payment_id = done.order.id, done.order.payment_id
    assert payment_id
    pay(sdk, payment_id)
    with db.session() as session:
        service.confirm(session, provider, order_id, SECRET, _now())
    return sub_id


def _now() -> datetime:
    return datetime.now(UTC)


def _charge_with(db: Database, sdk: stripe.StripeClient, sub_id: int, number: str | None) -> None:
    """Renewals charge this card (attached to Bea), or, with None, the one that paid last."""
    with db.session() as session:
        sub = session.get(Subscription, sub_id)
        assert sub is not None
        method = None
        if number is not None:
            method = card_method(sdk, number)
            sdk.v1.payment_methods.attach(method, {"customer": sub.customer or ""})
        sub.payment_method = method


def _past_due(db: Database, shop: Settings, sdk: stripe.StripeClient, card: str) -> int:
    """The second period's renewal failed on `card`; its end (the first failure)."""
    sub_id = _subscribed(db, shop, sdk)
    _charge_with(db, sdk, sub_id, card)
    end = _sub(db, sub_id).current_period_end
    assert end is not None
    assert [r.outcome for r in tasks.run_renewals(db, shop, end)] == ["failed"]
    assert _sub(db, sub_id).status == "past_due"
    return sub_id


def _sub(db: Database, sub_id: int) -> Subscription:
    with db.session() as session:
        row = session.get(Subscription, sub_id)
        assert row is not None
        session.expunge(row)
        return row


def _order(db: Database, sub_id: int) -> Order:
    with db.session() as session:
        row = session.scalar(select(Order).where(Order.checkout_key == f"renewal:{sub_id}:2"))
        assert row is not None
        session.expunge(row)
        return row


def _pay_now(db: Database, shop: Settings, sub_id: int) -> str:
    """The buyer's "pay now" in the buyers' area: the period's payment id."""
    with db.session() as session:
        order = service.subscriptions.pay_period(
            session, service.provider_for(shop), sub_id, _now(), email="bea@example.com"
        )
        assert order.payment_id
        return order.payment_id


def _charges(sdk: stripe.StripeClient, number: str) -> list[str]:
    """Ids of the succeeded payments of an order at Stripe."""
    intents = sdk.v1.payment_intents.list({"limit": 100}).data
    return [
        i.id
        for i in intents
        if (i.metadata or {}).to_dict().get("order") == number and i.status == "succeeded"
    ]


def _retry_at(sub_id: int, db: Database) -> datetime:
    due = _sub(db, sub_id).next_attempt_at
    assert due is not None
    return due


def test_a_retry_applies_the_buyers_payment_that_succeeded_and_charges_nothing(
    db: Database, shop: Settings, sdk: stripe.StripeClient
) -> None:
    sub_id = _past_due(db, shop, sdk, DECLINES)
    theirs = _pay_now(db, shop, sub_id)
    pay(sdk, theirs)  # succeeded at Stripe; its webhook has not come yet
    _charge_with(db, sdk, sub_id, None)  # the saved card would go through again
    outcomes = tasks.run_renewals(db, shop, _retry_at(sub_id, db))
    assert [r.outcome for r in outcomes] == ["paid"]
    order = _order(db, sub_id)
    assert (order.status, order.payment_id) == ("paid", theirs)
    assert _charges(sdk, order.number) == [theirs]  # charged once
    assert order.fee_cents == 59  # the buyer's payment's fee, learned as it was applied
    sub = _sub(db, sub_id)
    assert (sub.status, sub.period) == ("active", 2)


def test_a_retry_waits_while_the_buyers_bank_is_asked_and_the_period_is_charged_once(
    db: Database, shop: Settings, sdk: stripe.StripeClient, localstripe: str
) -> None:
    sub_id = _past_due(db, shop, sdk, DECLINES)
    theirs = _pay_now(db, shop, sub_id)
    pay(sdk, theirs, card_method(sdk, ASKS_THE_BANK))  # in the buyer's browser: 3-D Secure
    _charge_with(db, sdk, sub_id, None)
    first_retry = _retry_at(sub_id, db)
    outcomes = tasks.run_renewals(db, shop, first_retry)
    assert [(r.outcome, r.remind) for r in outcomes] == [("nothing", False)]
    order = _order(db, sub_id)
    assert (order.status, order.payment_id) == ("pending", theirs)
    assert _charges(sdk, order.number) == []
    sub = _sub(db, sub_id)  # looked at again at the next retry's time, no failure counted
    assert (sub.status, sub.failed_attempts) == ("past_due", 1)
    assert sub.next_attempt_at == first_retry + timedelta(days=2)
    intent = sdk.v1.payment_intents.retrieve(theirs)
    authenticate(localstripe, theirs, intent.client_secret or "")  # the buyer passes 3-D Secure
    with db.session() as session:
        done = service.confirm(session, service.provider_for(shop), order.id, SECRET, _now())
        assert done.newly_paid
    assert _charges(sdk, order.number) == [theirs]
    assert tasks.run_renewals(db, shop, first_retry + timedelta(days=2)) == []


def test_a_retry_closes_the_buyers_unconfirmed_payment_before_it_charges(
    db: Database, shop: Settings, sdk: stripe.StripeClient
) -> None:
    sub_id = _past_due(db, shop, sdk, DECLINES)
    theirs = _pay_now(db, shop, sub_id)  # the buyer's page is open, the card not yet sent
    _charge_with(db, sdk, sub_id, None)
    outcomes = tasks.run_renewals(db, shop, _retry_at(sub_id, db))
    assert [r.outcome for r in outcomes] == ["paid"]
    order = _order(db, sub_id)
    assert order.payment_id not in (None, theirs)
    assert sdk.v1.payment_intents.retrieve(theirs).status == "canceled"
    with pytest.raises(stripe.InvalidRequestError):  # the buyer sends the card a moment late
        pay(sdk, theirs)
    assert _charges(sdk, order.number) == [order.payment_id]


def test_pay_now_keeps_a_retrys_charge_that_waits_for_the_buyers_bank(
    db: Database, shop: Settings, sdk: stripe.StripeClient, localstripe: str
) -> None:
    sub_id = _past_due(db, shop, sdk, ASKS_THE_BANK)  # the renewal's bank wants the buyer
    order = _order(db, sub_id)
    retry = order.payment_id
    assert retry
    assert sdk.v1.payment_intents.retrieve(retry).status == "requires_action"
    assert _pay_now(db, shop, sub_id) == retry  # one open payment: the buyer confirms that one
    assert _pay_now(db, shop, sub_id) == retry
    intent = sdk.v1.payment_intents.retrieve(retry)
    authenticate(localstripe, retry, intent.client_secret or "")
    with db.session() as session:
        done = service.confirm(session, service.provider_for(shop), order.id, SECRET, _now())
        assert done.newly_paid
    assert _charges(sdk, order.number) == [retry]
    assert _sub(db, sub_id).status == "active"
