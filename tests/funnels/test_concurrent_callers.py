"""64 one-click upsell posts at once (POST /p/<funnel>/<step>) on a real server over SQLite and
PostgreSQL, Stripe being localstripe: half of them one buyer's click repeated, half a click each
of other buyers. Never a 5xx (a 503 with Retry-After is sent again, as a browser's retry would),
every buyer sent on to the "yes" step, and each paid front-end order charged once for the offer:
one child order, one PaymentIntent. The public page's visits have their own 64-caller test
(test_http.py)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from urllib.parse import urlencode

import httpx
import pytest
import stripe
from pydantic import SecretStr
from sqlalchemy import select
from stripe._base_address import BaseAddresses

from evergreen.commerce import service
from evergreen.commerce.models import Order
from evergreen.commerce.payments import StripeProvider
from evergreen.config import Settings
from evergreen.db import Database
from evergreen.web.csrf import CSRF_COOKIE, csrf_token_for
from tests.commerce.localstripe import STRIPE_TEST_KEY, localstripe
from tests.commerce.orders_world import HOOK_SECRET, SECRET, buy
from tests.commerce.upsell_world import authenticate, card_method, make_funnel
from tests.live_server import Call, live_server, send_until_answered

__all__ = ["localstripe"]  # the session fixture, imported for pytest

pytestmark = pytest.mark.both_databases

N = 64
HALF = N // 2
_COOKIE = "concurrent-callers-csrf"


@pytest.fixture
def stripe_settings(settings: Settings, localstripe: str) -> Settings:
    """The test's settings with Stripe pointed at localstripe."""
    return settings.model_copy(update={
        "stripe_secret_key": SecretStr(STRIPE_TEST_KEY),
        "stripe_webhook_secret": SecretStr(HOOK_SECRET),
        "stripe_api_base": localstripe,
    })  # fmt: skip


def _paid_parents(
    db: Database, settings: Settings, localstripe: str, count: int
) -> list[tuple[int, str, str]]:
    """`count` buyers who each paid a front-end order in the funnel by card (3-D Secure when
    asked), so an upsell can charge their saved card: (order id, number, signed link)."""
    provider = service.provider_for(settings)
    assert isinstance(provider, StripeProvider)
    bases: BaseAddresses = {"api": localstripe}
    sdk = stripe.StripeClient(STRIPE_TEST_KEY, base_addresses=bases)
    with db.session() as session:
        world = make_funnel(session)
    parents = []
    for n in range(count):
        with db.session() as session:
            data = buy(funnel_id=world.id, step_id=world.order_step, variant="A", click_id="",
                       email=f"b{n}@example.com")  # fmt: skip
            order = service.start_checkout(session, provider, data, datetime.now(UTC)).order
            order_id, number, payment_id = order.id, order.number, order.payment_id or ""
        sdk.v1.payment_intents.update(
            payment_id, {"payment_method": card_method(sdk, "4242424242424242")}
        )
        intent = sdk.v1.payment_intents.confirm(payment_id)
        if intent.status == "requires_action":
            authenticate(localstripe, payment_id, intent.client_secret or "")
        with db.session() as session:
            paid = service.confirm(session, provider, order_id, SECRET, datetime.now(UTC))
            assert paid.newly_paid
        parents.append((order_id, number, service.order_link(SECRET, number)))
    return parents


def _run(settings: Settings, db: Database, calls: list[Call]) -> list[httpx.Response]:
    """All in flight together; a 503 (the bounded wait for the write turn) is sent again."""
    with live_server(settings, db) as url:
        return send_until_answered(url, calls)


def test_64_one_click_upsells_at_once_charge_each_buyer_once(
    stripe_settings: Settings, db: Database, localstripe: str
) -> None:
    parents = _paid_parents(db, stripe_settings, localstripe, HALF + 1)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": f"{CSRF_COOKIE}={_COOKIE}",
    }
    csrf = csrf_token_for(SECRET, _COOKIE)
    clicks = [parents[0] if i % 2 else parents[1 + i // 2] for i in range(N)]
    calls = [
        Call("POST", "/p/launch/course", headers=headers,
             content=urlencode({"csrf_token": csrf, "order": token, "variant": "A"}))
        for _id, _number, token in clicks
    ]  # fmt: skip
    responses = _run(stripe_settings, db, calls)
    assert {r.status_code for r in responses} == {303}, [r.text[:300] for r in responses]
    assert [r.headers["location"] for r in responses] == [
        f"/p/launch/thanks?{urlencode({'order': token})}" for _id, _number, token in clicks
    ]
    with db.session(writer=False) as session:
        children = session.execute(
            select(Order.parent_order_id, Order.status, Order.total_cents).where(
                Order.parent_order_id.is_not(None)
            )
        ).all()
    assert Counter(parent for parent, _s, _t in children) == {
        order_id: 1 for order_id, _number, _token in parents
    }
    assert {(status, total) for _p, status, total in children} == {("paid", 5831)}
    bases: BaseAddresses = {"api": localstripe}
    sdk = stripe.StripeClient(STRIPE_TEST_KEY, base_addresses=bases)
    charged = Counter(
        (intent.metadata.to_dict() if intent.metadata else {}).get("parent")
        for intent in sdk.v1.payment_intents.list({"limit": 100}).auto_paging_iter()
    )
    assert {number: charged[number] for _id, number, _token in parents} == {
        number: 1 for _id, number, _token in parents
    }
