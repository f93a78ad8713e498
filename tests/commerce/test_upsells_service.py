"""One-click upsells on SQLite and PostgreSQL against localstripe with the real SDK: the funnel's
checkout saves the card, one click charges it once (replays and 64 concurrent clicks), a bank
that asks for the buyer leaves the child pending until they confirm, a declined card fails with
nothing posted, and an unpaid or foreign order is refused."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import stripe
from sqlalchemy import select

from evergreen.commerce import service
from evergreen.commerce.models import Coupon, Grant, Order, OrderLine
from evergreen.commerce.payments import StripeProvider
from evergreen.db import Database
from evergreen.errors import InputError, NotFound
from evergreen.funnels import queries as funnel_queries
from evergreen.funnels import service as funnels
from tests.commerce.localstripe import localstripe
from tests.commerce.orders_world import SECRET, counts, stripe_event
from tests.commerce.upsell_world import (
    Funnel,
    authenticate,
    card_method,
    make_funnel,
    offer,
    open_parent,
)

__all__ = ["localstripe"]  # the session fixture, imported for pytest


@dataclass(frozen=True)
class Parent:
    world: Funnel
    id: int
    number: str
    token: str
    payment_id: str
    customer: str


def _parent(db: Database, provider: StripeProvider) -> Parent:
    """A front-end order opened from the funnel's order step, not paid yet."""
    with db.session() as session:
        world = make_funnel(session)
        started = open_parent(session, provider, world)
        order = started.order
        assert order.payment_id is not None
        assert order.provider_customer is not None  # an upsell follows: the card is saved
        token = service.order_link(SECRET, order.number)
        return Parent(
            world, order.id, order.number, token, order.payment_id, order.provider_customer
        )


def _paid_parent(
    db: Database,
    provider: StripeProvider,
    sdk: stripe.StripeClient,
    localstripe: str,
    number: str = "4242424242424242",
) -> Parent:
    """The buyer pays the front-end order in their browser with a card (3-D Secure if asked)."""
    parent = _parent(db, provider)
    sdk.v1.payment_intents.update(parent.payment_id, {"payment_method": card_method(sdk, number)})
    intent = sdk.v1.payment_intents.confirm(parent.payment_id)
    if intent.status == "requires_action":
        authenticate(localstripe, parent.payment_id, intent.client_secret or "")
    with db.session() as session:
        assert service.confirm(session, provider, parent.id, SECRET, datetime.now(UTC)).newly_paid
    return parent


def _take(
    db: Database, provider: StripeProvider, token: str, step: service.UpsellStep
) -> service.Taken:
    with db.session() as session:
        return service.take_upsell(session, provider, SECRET, token, step, datetime.now(UTC))


def _intents_of(sdk: stripe.StripeClient, parent: str) -> list[str]:
    """The PaymentIntents charged for offers after the front-end order numbered `parent`."""
    intents = sdk.v1.payment_intents.list({"limit": 100}).auto_paging_iter()
    return [i.id for i in intents if i.metadata and i.metadata.to_dict().get("parent") == parent]


def test_a_funnel_checkout_saves_the_card_on_a_customer(
    db: Database, provider: StripeProvider, sdk: stripe.StripeClient
) -> None:
    parent = _parent(db, provider)
    intent = sdk.v1.payment_intents.retrieve(parent.payment_id)
    assert intent.customer == parent.customer
    assert intent["setup_future_usage"] == "off_session"
    with db.session() as session:  # the same form again: the same customer and payment
        world = parent.world
        data = service.CheckoutInput(
            slug="book", currency="EUR", email="x@example.com", nonce="plain-order-nonce-1",
        )  # fmt: skip
        plain = service.start_checkout(session, provider, data, datetime.now(UTC)).order
        assert plain.provider_customer is None  # no funnel, no upsell: nothing saved
        assert world.upsell_step


def test_one_click_charges_once_for_replays_and_64_concurrent_clicks(
    db: Database, provider: StripeProvider, sdk: stripe.StripeClient, localstripe: str
) -> None:
    parent = _paid_parent(db, provider, sdk, localstripe)
    step = offer(parent.world)
    with ThreadPoolExecutor(max_workers=64) as pool:
        results = list(pool.map(lambda _i: _take(db, provider, parent.token, step), range(64)))
    assert sum(r.created for r in results) == 1
    assert sum(r.newly_paid for r in results) == 1
    assert {r.order.number for r in results} == {results[0].order.number}
    assert {r.outcome for r in results} == {service.OffSession.SUCCEEDED}
    again = _take(db, provider, parent.token, step)  # a reload, a double click
    assert (again.created, again.newly_paid, again.order.number) == (
        False,
        False,
        results[0].order.number,
    )
    assert len(_intents_of(sdk, parent.number)) == 1  # one PaymentIntent charged
    with db.session() as session:
        child = session.scalars(select(Order).where(Order.parent_order_id == parent.id)).one()
        assert child.status == "paid"
        # 49.00 with 19 % DE tax, the parent's coupon not applied
        assert (child.subtotal_cents, child.discount_cents, child.tax_cents) == (4900, 0, 931)
        assert child.total_cents == 5831
        assert (child.coupon_code, child.currency) == ("", "EUR")
        assert child.buyer_email == "buyer@example.com"
        assert (child.funnel_id, child.step_id, child.variant) == (
            parent.world.id,
            parent.world.upsell_step,
            "A",
        )
        lines = session.scalars(select(OrderLine).where(OrderLine.order_id == child.id)).all()
        assert [(line.role, line.product_id) for line in lines] == [("upsell", parent.world.course)]
        held = counts(session, child.number)
        # book, workbook, the parent's Stripe fee (learned on its return), course, and the
        # course's fee, learned when its charge succeeded (test_fees_offsession.py)
        assert (held["entries"], held["commissions"]) == (5, 1)
        assert (child.fee_cents, child.fee_known_at is not None) == (199, True)
        assert held["conversions"] == [("sale", Decimal("49.00"))]
        assert session.scalar(select(Coupon.redemptions).where(Coupon.code == "ANA")) == 1
        sources = session.scalars(
            select(Grant.source).where(Grant.product_id == parent.world.course)
        ).all()
        assert sources == [f"order:{child.number}"]
        assert child.payment_id is not None
        assert provider.retrieve(child.payment_id).amount == 5831


def test_a_bank_asking_for_the_buyer_leaves_the_upsell_pending_until_they_confirm(
    db: Database, provider: StripeProvider, sdk: stripe.StripeClient, localstripe: str
) -> None:
    parent = _paid_parent(db, provider, sdk, localstripe, "4000002500003155")
    taken = _take(db, provider, parent.token, offer(parent.world))
    assert taken.outcome is service.OffSession.REQUIRES_ACTION
    assert taken.client_secret is not None
    payment_id = taken.order.payment_id
    assert payment_id is not None
    assert taken.client_secret.startswith(payment_id)
    again = _take(db, provider, parent.token, offer(parent.world))
    assert again.outcome is service.OffSession.REQUIRES_ACTION
    assert again.client_secret == taken.client_secret  # the same payment to confirm
    with db.session() as session:
        assert counts(session, taken.order.number)["status"] == "pending"
        assert counts(session, taken.order.number)["commissions"] == 0
    authenticate(localstripe, payment_id, taken.client_secret)
    with db.session() as session:  # the buyer's return asks Stripe, as for any order
        done = service.confirm(session, provider, taken.order.id, SECRET, datetime.now(UTC))
        assert done.newly_paid
        held = counts(session, taken.order.number)
        assert (held["status"], held["commissions"]) == ("paid", 1)
    assert len(_intents_of(sdk, parent.number)) == 1


def test_a_declined_card_fails_the_upsell_with_nothing_posted(
    db: Database, provider: StripeProvider, sdk: stripe.StripeClient
) -> None:
    # The card paid the front-end order, then declines (Stripe's 4000000000000341 attaches to
    # the customer and declines every charge): the front end is paid by Stripe's webhook.
    parent = _parent(db, provider)
    method = card_method(sdk, "4000000000000341")
    sdk.v1.payment_methods.attach(method, {"customer": parent.customer})
    sdk.v1.payment_intents.update(parent.payment_id, {"payment_method": method})
    with db.session() as session:
        total = counts(session, parent.number)
        order = session.get(Order, parent.id)
        assert order is not None
        intent = {"object": "payment_intent", "id": parent.payment_id,
                  "amount": order.total_cents, "currency": "eur",
                  "metadata": {"order": parent.number}}  # fmt: skip
        payload, header = stripe_event("payment_intent.succeeded", intent)
        now = datetime.now(UTC)
        assert service.receive_webhook(session, provider, payload, header, SECRET, now).newly_paid
        assert total["status"] == "pending"
    taken = _take(db, provider, parent.token, offer(parent.world))
    assert taken.outcome is service.OffSession.FAILED
    assert "declined" in taken.message.lower()
    with db.session() as session:
        held = counts(session, taken.order.number)
        assert held["status"] == "failed"
        assert held["entries"] == 2  # the parent's two lines only: nothing for the course
        assert held["commissions"] == 0
        assert not session.scalars(
            select(Grant).where(Grant.product_id == parent.world.course)
        ).all()
    replay = _take(db, provider, parent.token, offer(parent.world))
    assert (replay.outcome, replay.created) == (service.OffSession.FAILED, False)
    # the "no" path: the downsell on the same declining card fails too, as its own order
    lite = _take(db, provider, parent.token, offer(parent.world, downsell=True))
    assert lite.outcome is service.OffSession.FAILED
    assert lite.order.number != taken.order.number


def test_an_unpaid_a_foreign_or_a_forged_order_is_refused(
    db: Database, provider: StripeProvider
) -> None:
    parent = _parent(db, provider)
    with pytest.raises(InputError, match="not paid") as unpaid:
        _take(db, provider, parent.token, offer(parent.world))
    assert unpaid.value.field == "order"
    assert unpaid.value.status < 500
    with pytest.raises(NotFound):
        _take(db, provider, parent.token[:-2] + "xx", offer(parent.world))
    elsewhere = service.UpsellStep(parent.world.id + 1, parent.world.upsell_step, "upsell",
                                   parent.world.course)  # fmt: skip
    with db.session() as session:
        order = session.get(Order, parent.id)
        assert order is not None
        order.status, order.paid_at = "paid", datetime.now(UTC)  # as if paid: not this funnel's
    with pytest.raises(InputError, match="not made in this funnel"):
        _take(db, provider, parent.token, elsewhere)
    later = datetime.now(UTC) + timedelta(hours=3)  # a receipt's link found hours later
    with db.session() as session, pytest.raises(InputError, match="expired"):
        service.take_upsell(session, provider, SECRET, parent.token, offer(parent.world), later)
    with db.session() as session:
        assert (
            service.upsell_offer(
                session, provider, SECRET, parent.token, offer(parent.world), later
            )
            is None
        )  # the page shows the normal checkout instead
        assert session.scalars(select(Order).where(Order.parent_order_id == parent.id)).all() == []
        offered = service.upsell_offer(
            session, provider, SECRET, parent.token, offer(parent.world), datetime.now(UTC)
        )
        assert offered is not None
        assert (offered.one_click, offered.price, offered.taken) == (True, "58.31 EUR", None)
        assert (
            service.upsell_offer(
                session, provider, SECRET, "junk", offer(parent.world), datetime.now(UTC)
            )
            is None
        )


def test_a_refund_of_the_parent_leaves_the_child_and_back(
    db: Database, provider: StripeProvider, sdk: stripe.StripeClient, localstripe: str
) -> None:
    parent = _paid_parent(db, provider, sdk, localstripe)
    child = _take(db, provider, parent.token, offer(parent.world)).order
    now = datetime.now(UTC)
    with db.session() as session:
        service.refund_order(session, provider, parent.id, None, "refund-parent-nonce", now)
    with db.session() as session:
        assert counts(session, parent.number)["status"] == "refunded"
        assert counts(session, child.number)["status"] == "paid"
        service.refund_order(session, provider, child.id, None, "refund-child-nonce", now)
    with db.session() as session:
        assert counts(session, child.number)["status"] == "refunded"
        assert counts(session, parent.number)["refunded"] == 4070
        child_payment = session.get(Order, child.id)
        assert child_payment is not None
        assert child_payment.payment_id is not None
        assert provider.retrieve(child_payment.payment_id).amount_refunded == 5831


def test_the_report_gives_each_upsell_step_its_own_take_rate(
    db: Database, provider: StripeProvider, sdk: stripe.StripeClient, localstripe: str
) -> None:
    parent = _paid_parent(db, provider, sdk, localstripe)
    world = parent.world
    with db.session() as session:
        second = funnels.add_step(
            session, world.id, funnels.StepDraft("upsell", "Lite too", product_id=world.lite)
        )
    _take(db, provider, parent.token, offer(world))
    also = service.UpsellStep(world.id, second.id, "upsell", world.lite, "A")
    _take(db, provider, parent.token, also)
    today = datetime.now(UTC).date()
    with db.session() as session:
        found = funnel_queries.report(session, world.id, today, today)
        assert found is not None
        total = found.total
        assert total.front_end_orders == 1
        assert total.upsell_take_rates == ((1, Decimal("1.0000")), (2, Decimal("1.0000")))
        assert total.upsell_revenue == Decimal("68.00")  # 49.00 + 19.00, net of tax
        by_step = {line.step.id: line.revenue for line in found.lines}
        assert by_step[world.upsell_step] == Decimal("49.00")
        assert by_step[second.id] == Decimal("19.00")
