"""Plan changes over HTTP on SQLite and PostgreSQL (Stripe on localstripe): the owner's page and
the buyers' area offer the family's plans, show the prorated amount (or the renewal date) on a
confirmation page before anything changes, then change now or schedule it; the buyer calls a
scheduled change off; the API previews and changes (the owner only); a refund form ends the
subscription only when "cancel now" is ticked."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import stripe
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select
from stripe._base_address import BaseAddresses

from evergreen.commerce import service
from evergreen.commerce.models import Order, Subscription
from evergreen.commerce.rules.delivery import buyer_token
from evergreen.commerce.views.buyers import BUYER_COOKIE
from evergreen.config import Settings
from evergreen.db import Database, utcnow
from evergreen.web import create_app
from tests.commerce.localstripe import STRIPE_TEST_KEY, localstripe
from tests.commerce.orders_world import HOOK_SECRET, SECRET
from tests.commerce.subscriptions_world import make_plans, pay, subscribe_input
from tests.conftest import TEST_SECRET
from tests.http_helpers import csrf_from, sign_in, token_for

__all__ = ["localstripe"]  # the session fixture, imported for pytest


@pytest.fixture
def shop(settings: Settings, localstripe: str) -> Settings:
    update = {
        "stripe_secret_key": SecretStr(STRIPE_TEST_KEY),
        "stripe_webhook_secret": SecretStr(HOOK_SECRET),
        "stripe_api_base": localstripe,
    }
    return settings.model_copy(update=update)


def subscribed(db: Database, shop: Settings, localstripe: str) -> tuple[int, dict[str, int]]:
    """Bea pays the monthly Club in her browser; the subscription's id and the plans' prices."""
    provider = service.provider_for(shop)
    with db.session() as session:
        plans = make_plans(session)
        done = service.subscriptions.subscribe(
            session, provider, subscribe_input(), datetime.now(UTC)
        )
        assert done.order is not None
        assert done.order.payment_id
        sub_id, order_id, payment_id = done.subscription.id, done.order.id, done.order.payment_id
    bases: BaseAddresses = {"api": localstripe}
    pay(stripe.StripeClient(STRIPE_TEST_KEY, base_addresses=bases), payment_id)
    with db.session() as session:
        service.confirm(session, provider, order_id, SECRET, datetime.now(UTC))
    return sub_id, plans


def _nonce(page: str, form_id: str) -> str:
    found = re.search(rf'id="{form_id}".*?name="nonce" value="([^"]+)"', page, re.S)
    assert found is not None
    return found.group(1)


def _amount(db: Database, sub_id: int) -> int:
    with db.session() as session:
        row = session.get(Subscription, sub_id)
        assert row is not None
        return row.amount_cents


def test_the_owner_upgrades_after_seeing_the_prorated_amount(
    db: Database, people: dict[str, str], shop: Settings, localstripe: str
) -> None:
    sub_id, plans = subscribed(db, shop, localstripe)
    with TestClient(create_app(shop, database=db)) as client:
        sign_in(client, people["staff"])
        staff_page = client.get(f"/commerce/subscriptions/{sub_id}")
        assert 'id="change-form"' not in staff_page.text  # the owner's only
        token = csrf_from(staff_page.text)
        form = {"csrf_token": token, "price_id": str(plans["Club Plus"]), "nonce": "x" * 20}
        assert client.post(f"/commerce/subscriptions/{sub_id}/change", data=form).status_code == 403
        sign_in(client, people["owner"])
        page = client.get(f"/commerce/subscriptions/{sub_id}")
        assert "Club Plus: 20.00 EUR a month" in page.text
        assert "Club Yearly: 240.00 EUR a year" in page.text
        token = csrf_from(page.text)
        form = {
            "csrf_token": token,
            "price_id": str(plans["Club Plus"]),
            "nonce": _nonce(page.text, "change-form"),
        }
        ask = client.post(f"/commerce/subscriptions/{sub_id}/change", data=form)
        assert ask.status_code == 200
        assert "10.00 EUR (prorated for the rest of this period" in ask.text  # ~ all of it left
        assert _amount(db, sub_id) == 1000  # nothing changed before the confirmation
        done = client.post(
            f"/commerce/subscriptions/{sub_id}/change", data={**form, "confirm": "yes"}
        )
        assert "Plan changed." in done.text
        again = client.post(
            f"/commerce/subscriptions/{sub_id}/change", data={**form, "confirm": "yes"}
        )
        assert "Plan changed." in again.text  # the same form twice: one charge
        bad = client.post(
            f"/commerce/subscriptions/{sub_id}/change", data={**form, "price_id": "999999"}
        )
        assert bad.status_code == 400
        assert "choose one of the plans offered" in bad.text
        mrr = client.get("/commerce/mrr")
        assert mrr.status_code == 200
        new_then_expansion = '<td class="num">10.00</td><td class="num">10.00</td>'
        assert new_then_expansion in mrr.text  # this month: new 10.00, expansion 10.00
        assert "<strong>20.00</strong>" in mrr.text
    assert _amount(db, sub_id) == 2000
    with db.session() as session:
        charged = session.scalars(
            select(Order.total_cents).where(Order.checkout_key.like(f"change:{sub_id}:%"))
        ).all()
        assert list(charged) == [1000]


def _as_buyer(client: TestClient, email: str) -> None:
    cookie = buyer_token(TEST_SECRET, "buyer-session", email, utcnow() + timedelta(hours=1))
    client.cookies.set(BUYER_COOKIE, cookie)


def test_the_buyer_schedules_a_downgrade_and_calls_it_off(
    db: Database, shop: Settings, localstripe: str
) -> None:
    sub_id, plans = subscribed(db, shop, localstripe)
    with db.session() as session:  # Bea is on Club Plus already
        sub = session.get(Subscription, sub_id)
        assert sub is not None
        sub.price_id, sub.amount_cents = plans["Club Plus"], 2000
        sub.product_id = service.subscriptions.plan_of(session, "club-plus").product.id
    with TestClient(create_app(shop, database=db)) as client:
        _as_buyer(client, "bea@example.com")
        account = client.get("/account")
        assert "Club: 10.00 EUR a month" in account.text
        token = csrf_from(account.text)
        nonce = re.search(
            r'class="stack change-plan">.*?name="nonce" value="([^"]+)"', account.text, re.S
        )
        assert nonce is not None
        form = {"csrf_token": token, "price_id": str(plans["Club"]), "nonce": nonce.group(1)}
        ask = client.post(f"/account/subscriptions/{sub_id}/change", data=form)
        assert "Change your plan?" in ask.text
        assert "at the renewal on" in ask.text
        done = client.post(
            f"/account/subscriptions/{sub_id}/change", data={**form, "confirm": "yes"}
        )
        assert "Plan change scheduled" in done.text
        assert "Moves to Club, 10.00 EUR a month, at the renewal." in done.text
        kept = client.post(
            f"/account/subscriptions/{sub_id}/change/cancel", data={"csrf_token": token}
        )
        assert "Scheduled change called off" in kept.text
        _as_buyer(client, "eve@example.com")  # another buyer: not theirs
        other = client.post(
            f"/account/subscriptions/{sub_id}/change", data={**form, "confirm": "yes"}
        )
        assert other.status_code == 404
    assert _amount(db, sub_id) == 2000


def test_the_api_previews_and_changes_for_the_owner_only(
    db: Database, people: dict[str, str], shop: Settings, localstripe: str
) -> None:
    sub_id, plans = subscribed(db, shop, localstripe)
    owner = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    staff = {"Authorization": f"Bearer {token_for(db, people['staff'])}"}
    url = f"/api/v1/commerce/subscriptions/{sub_id}/change"
    body = {"price_id": plans["Club Yearly"], "idempotency_key": "api-change-1"}
    with TestClient(create_app(shop, database=db)) as client:
        assert client.post(url, json=body, headers=staff).status_code == 403
        preview = client.post(url, json={**body, "preview": True}, headers=owner).json()
        assert (preview["takes_effect"], preview["currency"]) == ("now", "EUR")
        assert preview["prorated"] != "0.00"
        assert _amount(db, sub_id) == 1000
        done = client.post(url, json=body, headers=owner)
        assert done.status_code == 200
        assert (done.json()["outcome"], done.json()["interval"]) == ("changed", "year")
        assert done.json()["charged_order"]
        same = client.post(url, json=body, headers=owner).json()
        assert same["charged_order"] == done.json()["charged_order"]  # a retry: one charge
        other = {"price_id": 999999, "idempotency_key": "api-change-2"}
        wrong = client.post(url, json=other, headers=owner)
        assert wrong.status_code == 422
        assert wrong.json()["detail"][0]["loc"][-1] == "price"
        cancel = client.post(f"{url}/cancel", json={}, headers=owner)
        assert cancel.status_code == 422  # nothing scheduled
        family = client.post(
            f"/api/v1/commerce/products/{999999}/plan-family", json={"family": "x"}, headers=owner
        )
        assert family.status_code == 404


def test_the_refund_form_ends_the_subscription_only_when_asked(
    db: Database, people: dict[str, str], shop: Settings, localstripe: str
) -> None:
    sub_id, _plans = subscribed(db, shop, localstripe)
    with db.session() as session:
        order_id = session.scalar(select(Order.id).where(Order.subscription_id == sub_id))
    with TestClient(create_app(shop, database=db)) as client:
        sign_in(client, people["owner"])
        page = client.get(f"/commerce/orders/{order_id}")
        assert 'id="refund-cancel-now"' in page.text
        token = csrf_from(page.text)
        form = {"csrf_token": token, "amount": "1.00", "nonce": "refund-nonce-1"}
        ask = client.post(f"/commerce/orders/{order_id}/refund", data=form)
        assert "The subscription continues" in ask.text
        client.post(f"/commerce/orders/{order_id}/refund", data={**form, "confirm": "yes"})
        with db.session() as session:
            sub = session.get(Subscription, sub_id)
            assert sub is not None
            assert sub.status == "active"
        form = {**form, "nonce": "refund-nonce-2", "cancel_now": "yes"}
        ask = client.post(f"/commerce/orders/{order_id}/refund", data=form)
        assert "The subscription ends now" in ask.text
        client.post(f"/commerce/orders/{order_id}/refund", data={**form, "confirm": "yes"})
    with db.session() as session:
        sub = session.get(Subscription, sub_id)
        assert sub is not None
        assert (sub.status, sub.end_reason) == ("ended", "voluntary")


def test_the_owner_puts_a_plan_in_a_family_from_its_page(
    db: Database, people: dict[str, str], shop: Settings
) -> None:
    with db.session() as session:
        tier = service.add_product(session, service.ProductDraft("Gold", "subscription")).id
        book = service.add_product(session, service.ProductDraft("Book", "digital")).id
    with TestClient(create_app(shop, database=db)) as client:
        sign_in(client, people["staff"])
        page = client.get(f"/commerce/products/{tier}")
        assert 'id="family-form"' not in page.text  # staff read, the owner decides
        refused = client.post(
            f"/commerce/products/{tier}/family",
            data={"csrf_token": csrf_from(page.text), "plan_family": "club"},
        )
        assert refused.status_code == 403
        client.cookies.clear()
        sign_in(client, people["owner"])
        page = client.get(f"/commerce/products/{tier}")
        saved = client.post(
            f"/commerce/products/{tier}/family",
            data={"csrf_token": csrf_from(page.text), "plan_family": " club "},
        )
        assert saved.status_code == 200
        assert '<strong id="family-name">club</strong>' in saved.text
        book_page = client.get(f"/commerce/products/{book}")
        assert 'id="family-form"' not in book_page.text
        wrong = client.post(
            f"/commerce/products/{book}/family",
            data={"csrf_token": csrf_from(book_page.text), "plan_family": "x"},
        )
        assert wrong.status_code == 400
        assert "only a subscription product is a plan" in wrong.text
    with db.session() as session:
        assert service.get_product(session, tier).plan_family == "club"
