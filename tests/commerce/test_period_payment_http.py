"""A past-due period paid from the buyers' area ("Update card and pay", against localstripe):
when the period's payment waits on the buyer's bank (3-D Secure), the order
page asks them to confirm it with their bank, as an upsell's page does, and confirming it pays
the period; a payment not at the bank still gets the card form.

Before: "pay now" handed back the payment waiting on the bank (one open payment per period), but
the order page showed the card form, whose Stripe.js call never plays the bank's step for it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import stripe
from fastapi.testclient import TestClient
from sqlalchemy import select

from evergreen.commerce import service, tasks
from evergreen.commerce.models import Order, Subscription
from evergreen.commerce.rules.delivery import buyer_token
from evergreen.commerce.views.buyers import BUYER_COOKIE
from evergreen.config import Settings
from evergreen.db import Database, utcnow
from evergreen.web import create_app
from tests.commerce.localstripe import localstripe
from tests.commerce.orders_world import SECRET
from tests.commerce.subscriptions_world import make_club, pay, stripe_settings, subscribe_input
from tests.commerce.upsell_world import authenticate, card_method
from tests.http_helpers import csrf_from

__all__ = ["localstripe"]  # the session fixture, imported for pytest

DECLINES = "4000000000000341"  # attaches, then declines charges
ASKS_THE_BANK = "4000002500003155"  # 3-D Secure on every charge
_BANK_STEP = re.compile(r'id="authenticate" data-secret="((pi_\w+?)_secret_\w+)"')


@pytest.fixture
def shop(settings: Settings, localstripe: str) -> Settings:
    return stripe_settings(settings, localstripe)


@pytest.fixture
def client(db: Database, shop: Settings) -> Iterator[TestClient]:
    """Bea's browser, signed in to the buyers' area."""
    with TestClient(create_app(shop, database=db)) as browser:
        cookie = buyer_token(
            SECRET, "buyer-session", "bea@example.com", utcnow() + timedelta(hours=1)
        )
        browser.cookies.set(BUYER_COOKIE, cookie)
        yield browser


def _past_due(db: Database, shop: Settings, sdk: stripe.StripeClient, card: str) -> int:
    """Bea paid the first period; the second's renewal charged `card` and did not go through."""
    provider = service.provider_for(shop)
    with db.session() as session:
        make_club(session)
        done = service.subscriptions.subscribe(session, provider, subscribe_input(), _now())
        sub_id, order = done.subscription.id, done.order
    assert order is not None
    assert order.payment_id
    pay(sdk, order.payment_id)
    with db.session() as session:
        service.confirm(session, provider, order.id, SECRET, _now())
        sub = session.get(Subscription, sub_id)
        assert sub is not None
        method = card_method(sdk, card)
        sdk.v1.payment_methods.attach(method, {"customer": sub.customer or ""})
        sub.payment_method = method
        end = sub.current_period_end
    assert end is not None
    assert [r.outcome for r in tasks.run_renewals(db, shop, end)] == ["failed"]
    return sub_id


def _now() -> datetime:
    return datetime.now(UTC)


def _pay_now(client: TestClient, sub_id: int) -> str:
    """Bea presses "Update card and pay" on /account: her order page's address."""
    account = client.get("/account")
    assert f'action="/account/subscriptions/{sub_id}/pay"' in account.text
    answer = client.post(
        f"/account/subscriptions/{sub_id}/pay",
        data={"csrf_token": csrf_from(account.text)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert location.startswith("/buy/order/")
    return location


def _order(db: Database, sub_id: int) -> Order:
    with db.session(writer=False) as session:
        row = session.scalar(select(Order).where(Order.checkout_key == f"renewal:{sub_id}:2"))
        assert row is not None
        session.expunge(row)
        return row


def _status(db: Database, sub_id: int) -> str:
    with db.session(writer=False) as session:
        sub = session.get(Subscription, sub_id)
        assert sub is not None
        return sub.status


def test_a_renewal_charge_waiting_on_the_bank_is_confirmed_on_the_order_page(
    client: TestClient, db: Database, shop: Settings, sdk: stripe.StripeClient, localstripe: str
) -> None:
    sub_id = _past_due(db, shop, sdk, ASKS_THE_BANK)  # the renewal's bank wants Bea
    retry = _order(db, sub_id).payment_id
    assert retry
    assert sdk.v1.payment_intents.retrieve(retry).status == "requires_action"
    order_url = _pay_now(client, sub_id)
    page = client.get(order_url)
    assert "Confirm with your bank" in page.text
    assert 'id="confirm-payment"' in page.text
    assert 'id="pay"' not in page.text  # no card form: it would not play the bank's step
    step = _BANK_STEP.search(page.text)
    assert step, page.text
    assert step.group(2) == retry  # the one open payment of the period
    authenticate(localstripe, retry, step.group(1))  # Stripe.js: Bea passes 3-D Secure
    done = client.get(order_url)
    assert "Thank you" in done.text
    assert (_order(db, sub_id).status, _status(db, sub_id)) == ("paid", "active")


def test_pay_now_left_at_the_bank_is_confirmed_there_when_the_buyer_comes_back(
    client: TestClient, db: Database, shop: Settings, sdk: stripe.StripeClient, localstripe: str
) -> None:
    sub_id = _past_due(db, shop, sdk, DECLINES)
    order_url = _pay_now(client, sub_id)
    form = client.get(order_url)
    assert 'id="pay"' in form.text  # a fresh payment: the card form
    assert 'id="authenticate"' not in form.text
    theirs = _order(db, sub_id).payment_id
    assert theirs
    pay(sdk, theirs, card_method(sdk, ASKS_THE_BANK))  # the bank asks; Bea closes the window
    assert sdk.v1.payment_intents.retrieve(theirs).status == "requires_action"
    again_url = _pay_now(client, sub_id)  # back on /account, "Update card and pay" again
    assert again_url == order_url
    page = client.get(again_url)
    assert 'id="pay"' not in page.text
    step = _BANK_STEP.search(page.text)
    assert step, page.text
    assert step.group(2) == theirs
    assert "with your card." in page.text  # not "the card you just used": an upsell's words
    authenticate(localstripe, theirs, step.group(1))
    assert "Thank you" in client.get(order_url).text
    assert (_order(db, sub_id).status, _status(db, sub_id)) == ("paid", "active")
