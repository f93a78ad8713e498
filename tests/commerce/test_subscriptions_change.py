"""Plan changes through Stripe (localstripe, the real SDK) on SQLite and PostgreSQL: an upgrade
charges its prorated difference off-session once however many clicks arrive at once and takes
effect now; a declined card leaves the plan; a downgrade waits for the renewal and can be
called off; a move to the family's yearly plan renews a year later; the MRR report shows the
expansion and the contraction; a buyer revives a delinquent subscription by paying its period,
and a late webhook for the last failed charge does the same."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import stripe
from pydantic import SecretStr
from sqlalchemy import select

from evergreen.commerce import service, tasks
from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.models import Grant, Order, Product, Subscription, SubscriptionEvent
from evergreen.commerce.rules.billing import prorate
from evergreen.commerce.rules.payments import EventKind, PaymentEvent
from evergreen.config import Settings
from evergreen.db import Database
from tests.commerce.localstripe import STRIPE_TEST_KEY, localstripe
from tests.commerce.orders_world import HOOK_SECRET, SECRET
from tests.commerce.subscriptions_world import make_plans, pay, subscribe_input

__all__ = ["localstripe"]  # the session fixture, imported for pytest


@pytest.fixture
def shop(settings: Settings, localstripe: str) -> Settings:
    update = {
        "stripe_secret_key": SecretStr(STRIPE_TEST_KEY),
        "stripe_webhook_secret": SecretStr(HOOK_SECRET),
        "stripe_api_base": localstripe,
    }
    return settings.model_copy(update=update)  # fmt: skip


def _subscribed(
    db: Database, shop: Settings, sdk: stripe.StripeClient
) -> tuple[int, dict[str, int]]:
    """Bea subscribes to the monthly Club and pays in her browser; its id and the plans."""
    provider = service.provider_for(shop)
    with db.session() as session:
        plans = make_plans(session)
        done = service.subscriptions.subscribe(
            session, provider, subscribe_input(), datetime.now(UTC)
        )
        assert done.order is not None
        assert done.order.payment_id
        sub_id, order_id, payment_id = done.subscription.id, done.order.id, done.order.payment_id
    pay(sdk, payment_id)
    with db.session() as session:
        service.confirm(session, provider, order_id, SECRET, datetime.now(UTC))
    return sub_id, plans


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


def _access(db: Database, sub_id: int) -> list[str]:
    """The products the subscription's grants give the buyer now."""
    with db.session() as session:
        query = select(Product.name).join(Grant, Grant.product_id == Product.id)
        query = query.where(Grant.source == f"subscription:{sub_id}", Grant.status == "active")
        return sorted(session.scalars(query))


def _change(db: Database, shop: Settings, sub_id: int, price: int, nonce: str,
            at: datetime) -> service.subscriptions.Changed:  # fmt: skip
    with db.session() as session:
        return service.subscriptions.change_plan(
            session, service.provider_for(shop), sub_id, price, nonce, SECRET, at
        )


def test_an_upgrade_is_charged_once_under_64_clicks_then_a_downgrade_waits(
    db: Database, shop: Settings, sdk: stripe.StripeClient
) -> None:
    sub_id, plans = _subscribed(db, shop, sdk)
    first = _sub(db, sub_id)
    assert first.current_period_start is not None
    assert first.current_period_end is not None
    span = (first.current_period_start, first.current_period_end)
    midway = first.current_period_start + (span[1] - span[0]) / 2
    with db.session() as session:
        quote = service.subscriptions.quote_change(
            session, service.provider_for(shop), sub_id, plans["Club Plus"], midway
        )
        assert quote.now
        assert (
            quote.charge.total == prorate(1000, "month", 2000, "month", span, midway, "USD") == 500
        )
    with ThreadPoolExecutor(max_workers=64) as pool:
        outcomes = list(pool.map(
            lambda _i: _change(db, shop, sub_id, plans["Club Plus"], "click-one", midway).outcome,
            range(64),
        ))  # fmt: skip
    assert set(outcomes) == {"changed"}
    with db.session() as session:
        orders = session.scalars(
            select(Order).where(
                Order.subscription_id == sub_id, Order.checkout_key.like("change:%")
            )
        ).all()
        assert [(o.status, o.total_cents) for o in orders] == [("paid", 500)]
        charged = orders[0].payment_id
    assert charged is not None
    intent = sdk.v1.payment_intents.retrieve(charged)
    assert (intent.amount, intent.status, intent.customer) == (500, "succeeded", first.customer)
    upgraded = _sub(db, sub_id)
    assert (upgraded.amount_cents, upgraded.price_id) == (2000, plans["Club Plus"])
    assert _access(db, sub_id) == ["Club Plus"]  # the old plan's downloads stop
    assert upgraded.current_period_end == first.current_period_end  # the period is kept
    assert [r.outcome for r in tasks.run_renewals(db, shop, span[1])] == ["paid"]
    with db.session() as session:
        renewal = session.scalar(select(Order).where(Order.checkout_key == f"renewal:{sub_id}:2"))
        assert renewal is not None
        assert renewal.total_cents == 2000
    # Back down to the Club: scheduled for the next renewal, called off, scheduled again.
    second = _sub(db, sub_id)
    assert second.current_period_end is not None
    soon = second.current_period_end - timedelta(days=3)
    assert _change(db, shop, sub_id, plans["Club"], "click-no-2", soon).outcome == "scheduled"
    with db.session() as session:
        pending = service.subscriptions.pending_plan(session, _sub(db, sub_id))
        assert pending is not None
        assert pending[1].name == "Club"
        service.subscriptions.cancel_change(session, sub_id, email="bea@example.com")
    assert _sub(db, sub_id).pending_price_id is None
    assert _change(db, shop, sub_id, plans["Club"], "click-no-3", soon).outcome == "scheduled"
    assert _sub(db, sub_id).amount_cents == 2000  # not before the renewal
    assert [r.outcome for r in tasks.run_renewals(db, shop, second.current_period_end)] == ["paid"]
    with db.session() as session:
        third = session.scalar(select(Order).where(Order.checkout_key == f"renewal:{sub_id}:3"))
        assert third is not None
        assert third.total_cents == 1000
    assert _access(db, sub_id) == ["Club"]
    moves = ["plan_from", "plan_to"]  # Club Plus is another product of the family
    assert _kinds(db, sub_id) == ["start", *moves, "renewal", *moves, "renewal"]
    with db.session() as session:
        facts = service.subscriptions.mrr_facts(session)
        first_day = min(f.at for f in facts).date().replace(day=1)
        last_day = max(f.at for f in facts).date()
        months = service.subscriptions.mrr_report_of(session, first_day, last_day)[0].months
        assert sum(m.expansion for m in months) == Decimal("10.00")
        assert sum(m.contraction for m in months) == Decimal("-10.00")
        assert months[-1].closing == Decimal("10.00")


def _bad_card(db: Database, sdk: stripe.StripeClient, sub_id: int) -> None:
    sub = _sub(db, sub_id)
    card = {"number": "4000000000000341", "exp_month": 12, "exp_year": 2034, "cvc": "123"}
    method = sdk.v1.payment_methods.create({"type": "card", "card": card})  # type: ignore[typeddict-item]
    sdk.v1.payment_methods.attach(method.id, {"customer": sub.customer or ""})
    with db.session() as session:
        row = session.get(Subscription, sub_id)
        assert row is not None
        row.payment_method = method.id


def test_a_declined_upgrade_leaves_the_plan_and_says_why(
    db: Database, shop: Settings, sdk: stripe.StripeClient
) -> None:
    sub_id, plans = _subscribed(db, shop, sdk)
    _bad_card(db, sdk, sub_id)
    with pytest.raises(CommerceInputError) as refused:
        _change(db, shop, sub_id, plans["Club Plus"], "click-no-1", datetime.now(UTC))
    assert refused.value.field == "payment"
    assert "the plan was not changed" in refused.value.message
    after = _sub(db, sub_id)
    assert (after.amount_cents, after.price_id, after.pending_price_id) == (
        1000,
        plans["Club"],
        None,
    )
    assert _kinds(db, sub_id) == ["start"]
    with db.session() as session:
        kept = session.scalars(select(Order.checkout_key).where(Order.subscription_id == sub_id))
        assert [key for key in kept if key.startswith("change:")] == []


def test_a_move_to_the_yearly_plan_renews_a_year_after_the_period(
    db: Database, shop: Settings, sdk: stripe.StripeClient
) -> None:
    sub_id, plans = _subscribed(db, shop, sdk)
    first = _sub(db, sub_id)
    assert first.current_period_end is not None
    done = _change(db, shop, sub_id, plans["Club Yearly"], "click-no-1", datetime.now(UTC))
    assert done.outcome == "changed"
    assert done.order is not None
    moved = _sub(db, sub_id)
    assert (moved.interval, moved.amount_cents) == ("year", 24000)
    assert [r.outcome for r in tasks.run_renewals(db, shop, first.current_period_end)] == ["paid"]
    renewed = _sub(db, sub_id)
    assert renewed.current_period_start == first.current_period_end
    assert renewed.current_period_end == first.current_period_end.replace(
        year=first.current_period_end.year + 1
    )
    assert _kinds(db, sub_id) == ["start", "plan_from", "plan_to", "renewal"]


def _delinquent(db: Database, shop: Settings, sdk: stripe.StripeClient) -> int:
    sub_id, _plans = _subscribed(db, shop, sdk)
    _bad_card(db, sdk, sub_id)
    end = _sub(db, sub_id).current_period_end
    assert end is not None
    for days in (0, 1, 3, 5):
        tasks.run_renewals(db, shop, end + timedelta(days=days))
    assert [r.outcome for r in tasks.run_renewals(db, shop, end + timedelta(days=7))] == [
        "ended_delinquent"
    ]
    return sub_id


def test_the_buyer_revives_a_delinquent_subscription_by_paying_its_period(
    db: Database, shop: Settings, sdk: stripe.StripeClient
) -> None:
    sub_id = _delinquent(db, shop, sdk)
    provider = service.provider_for(shop)
    with db.session() as session:
        order = service.subscriptions.pay_period(
            session, provider, sub_id, datetime.now(UTC), email="bea@example.com"
        )
        order_id, payment_id = order.id, order.payment_id
    assert payment_id
    pay(sdk, payment_id)  # a good card, from the buyers' area
    with db.session() as session:
        assert service.confirm(session, provider, order_id, SECRET, datetime.now(UTC)).newly_paid
    back = _sub(db, sub_id)
    assert (back.status, back.period, back.end_reason) == ("active", 2, "")
    assert _kinds(db, sub_id) == ["start", "payment_failed", "delinquent", "reactivate"]


def test_a_late_webhook_for_the_last_failed_charge_revives_it(
    db: Database, shop: Settings, sdk: stripe.StripeClient
) -> None:
    sub_id = _delinquent(db, shop, sdk)
    with db.session() as session:
        order = session.scalar(select(Order).where(Order.checkout_key == f"renewal:{sub_id}:2"))
        assert order is not None
        assert order.status == "pending"  # declined: the buyer was asked to pay it
        event = PaymentEvent("evt_late", "payment_intent.succeeded", EventKind.SUCCEEDED,
                             "pi_late_retry", order.total_cents, "EUR",
                             {"order": order.number, "subscription": str(sub_id)})  # fmt: skip
        assert service.apply_event(session, "stripe", event, SECRET, datetime.now(UTC)).newly_paid
    back = _sub(db, sub_id)
    assert (back.status, back.period) == ("active", 2)
    assert _kinds(db, sub_id)[-1] == "reactivate"
