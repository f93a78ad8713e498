"""Orders paid through Stripe (localstripe, the real SDK) on SQLite and PostgreSQL, exactly once
whatever the webhooks do: delivered twice, 64 at once, out of order (the refund before the
success), before the buyer returns or never (the return and the reconciliation ask Stripe)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import stripe

from evergreen.commerce import service
from evergreen.commerce.models import InboxEvent, Order
from evergreen.commerce.payments import StripeProvider
from evergreen.db import Database
from evergreen.errors import InputError
from tests.commerce.localstripe import localstripe
from tests.commerce.orders_world import SECRET, buy, counts, make_shop, stripe_event

__all__ = ["localstripe"]  # the session fixture, imported for pytest


def _pay(sdk: stripe.StripeClient, payment_id: str) -> None:
    """What Stripe.js does in the buyer's browser with the client secret."""
    sdk.v1.payment_intents.update(payment_id, {"payment_method": "pm_card_visa"})
    sdk.v1.payment_intents.confirm(payment_id)


def _order(db: Database, provider: StripeProvider, **changes: object) -> tuple[int, str, str]:
    with db.session() as session:
        make_shop(session)
        started = service.start_checkout(session, provider, buy(**changes), datetime.now(UTC))
        assert started.client_secret
        assert started.order.payment_id
        assert started.client_secret.startswith(started.order.payment_id)
        return started.order.id, started.order.number, started.order.payment_id


def _succeeded(payment_id: str, number: str, amount: int) -> dict[str, object]:
    return {"object": "payment_intent", "id": payment_id, "amount": amount,
            "amount_received": amount, "currency": "eur",
            "metadata": {"order": number}}  # fmt: skip


def _hook(db: Database, provider: StripeProvider, payload: bytes, header: str) -> service.Applied:
    with db.session() as session:
        return service.receive_webhook(
            session, provider, payload, header, SECRET, datetime.now(UTC)
        )


def test_64_concurrent_replays_make_one_paid_order(
    db: Database, provider: StripeProvider, sdk: stripe.StripeClient
) -> None:
    order_id, number, payment_id = _order(db, provider)
    _pay(sdk, payment_id)
    payload, header = stripe_event("payment_intent.succeeded", _succeeded(payment_id, number, 4070))
    with ThreadPoolExecutor(max_workers=64) as pool:
        results = list(pool.map(lambda _i: _hook(db, provider, payload, header), range(64)))
    assert sum(r.newly_paid for r in results) == 1
    assert sum(r.duplicate for r in results) == 63
    with db.session() as session:
        held = counts(session, number)
        assert held["status"] == "paid"
        assert held["entries"] == 2
        assert held["commissions"] == 1
        assert [e for e, _a in held["conversions"]] == ["sale"]
        # the buyer returns after the webhook: Stripe says succeeded, nothing more happens
        assert not service.confirm(session, provider, order_id, SECRET, datetime.now(UTC)).changed
        assert session.query(InboxEvent).count() == 1


def test_a_refund_before_the_success_still_ends_refunded_once(
    db: Database, provider: StripeProvider, sdk: stripe.StripeClient
) -> None:
    _order_id, number, payment_id = _order(db, provider, coupon="", country="", bump=False)
    _pay(sdk, payment_id)
    refund = {"object": "charge", "id": "ch_x", "payment_intent": payment_id, "amount": 2900,
              "amount_refunded": 2900, "currency": "eur",
              "metadata": {"order": number}}  # fmt: skip
    early = _hook(db, provider, *stripe_event("charge.refunded", refund))
    assert early.changed
    assert not early.newly_paid
    paid = stripe_event("payment_intent.succeeded", _succeeded(payment_id, number, 2900))
    assert _hook(db, provider, *paid).newly_paid
    assert _hook(db, provider, *paid).duplicate
    with db.session() as session:
        held = counts(session, number)
        assert (held["status"], held["refunded"]) == ("refunded", 2900)
        assert [e for e, _a in held["conversions"]] == ["sale", "refund"]
        assert held["entries"] == 0  # paid and fully refunded at once: nothing stands


def test_a_lost_webhook_is_made_good_by_the_return_or_the_reconciliation(
    db: Database, provider: StripeProvider, sdk: stripe.StripeClient
) -> None:
    order_id, number, payment_id = _order(db, provider)
    with db.session() as session:  # not paid yet: the return leaves it pending
        assert not service.confirm(session, provider, order_id, SECRET, datetime.now(UTC)).changed
    _pay(sdk, payment_id)  # paid, then the process dies before any webhook
    later = datetime.now(UTC) + timedelta(minutes=10)
    with db.session() as session:
        assert not service.reconcile(session, provider, SECRET, datetime.now(UTC))  # too young
        done = service.reconcile(session, provider, SECRET, later)
        assert [d.newly_paid for d in done] == [True]
    with db.session() as session:
        assert service.reconcile(session, provider, SECRET, later) == []
        late = stripe_event("payment_intent.succeeded", _succeeded(payment_id, number, 4070))
        hook_now = datetime.now(UTC)
        assert not service.receive_webhook(session, provider, *late, SECRET, hook_now).changed
        held = counts(session, number)
        # two lines and Stripe's fee, learned when the reconciliation asked (test_fees_stripe.py)
        assert (held["status"], held["entries"], held["commissions"]) == ("paid", 3, 1)


def test_the_owner_refunds_through_stripe_once_per_form(
    db: Database, provider: StripeProvider, sdk: stripe.StripeClient
) -> None:
    order_id, number, payment_id = _order(db, provider, coupon="", country="")
    _pay(sdk, payment_id)
    now = datetime.now(UTC)
    with db.session() as session:
        assert service.confirm(session, provider, order_id, SECRET, now).newly_paid
    with db.session() as session:
        service.refund_order(session, provider, order_id, 1000, "form-nonce-1", now)
    with db.session() as session:
        assert service.refund_order(
            session, provider, order_id, 1000, "form-nonce-1", now
        ).duplicate
        assert provider.retrieve(payment_id).amount_refunded == 1000
        # Stripe's own webhook for that refund changes nothing more
        refund = {"object": "charge", "payment_intent": payment_id, "amount_refunded": 1000,
                  "currency": "eur", "metadata": {"order": number}}  # fmt: skip
        hook = stripe_event("charge.refunded", refund)
        assert not service.receive_webhook(session, provider, *hook, SECRET, now).changed
        held = counts(session, number)
        assert (held["status"], held["refunded"]) == ("partially_refunded", 1000)
        assert [e for e, _a in held["conversions"]] == ["sale", "refund"]


def test_a_webhook_with_a_bad_signature_is_refused_and_leaves_nothing(
    db: Database, provider: StripeProvider
) -> None:
    _order_id, number, payment_id = _order(db, provider)
    payload, header = stripe_event("payment_intent.succeeded", _succeeded(payment_id, number, 4070))
    with db.session() as session:
        with pytest.raises(InputError) as refused:
            service.receive_webhook(
                session, provider, payload + b" ", header, SECRET, datetime.now(UTC)
            )
        assert refused.value.field == "Stripe-Signature"
    with db.session() as session:
        assert session.query(InboxEvent).count() == 0
        assert session.query(Order).one().status == "pending"


def test_a_success_for_another_amount_does_not_pay_the_order(
    db: Database, provider: StripeProvider
) -> None:
    _order_id, number, payment_id = _order(db, provider)
    cheap = stripe_event("payment_intent.succeeded", _succeeded(payment_id, number, 100))
    assert not _hook(db, provider, *cheap).changed
    with db.session() as session:
        assert counts(session, number)["status"] == "pending"
