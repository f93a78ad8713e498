"""Orders on SQLite and PostgreSQL with the manual provider: one order per form submission,
priced by the server, paid once by the owner's hand, refunded in part then in full; the ledger,
the partner's commission and the buyer's audience activity follow each step once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from evergreen.audience import service as audience
from evergreen.audience.models import Activity, Subscriber
from evergreen.commerce import queries, service
from evergreen.commerce.models import Coupon, Order, OrderLine
from evergreen.commerce.service.refunds import plan_refund
from evergreen.db import Database
from evergreen.errors import InputError, NotFound
from evergreen.ledger.models import JournalEntry
from tests.commerce.orders_world import SECRET, buy, counts, make_shop

NOW = datetime.now(UTC)


def test_a_manual_order_is_priced_by_the_server_and_paid_once(db: Database) -> None:
    with db.session() as session:
        shop = make_shop(session)
        data = buy()
        started = service.start_checkout(session, None, data, NOW)
        again = service.start_checkout(session, None, data, NOW)  # a double submit
        order = started.order
        assert again.order.id == order.id
        assert not again.created
        assert started.created
        # 29.00 + 9.00, 10 % off (3.80), 19 % tax on 34.20 (2.61 + 3.89... per line)
        assert (order.subtotal_cents, order.discount_cents) == (3800, 380)
        assert order.tax_cents == 650
        assert order.total_cents == 3420 + 650
        assert (order.provider, order.status, order.payment_id) == (
            "manual",
            "pending",
            f"man_{order.number}",
        )
        number, order_id = order.number, order.id
    with db.session() as session:
        lines = session.scalars(select(OrderLine).where(OrderLine.order_id == order_id)).all()
        assert sum(line.total_cents for line in lines) == 4070
        assert [line.role for line in lines] == ["main", "bump"]
        done = service.mark_manual_paid(session, order_id, SECRET, NOW)
        assert done.newly_paid
    with db.session() as session:
        assert not service.mark_manual_paid(session, order_id, SECRET, NOW).changed
        held = counts(session, number)
        assert held["status"] == "paid"
        assert held["entries"] == 2  # one income entry per line, net of tax
        assert [e for e, _a in held["conversions"]] == ["sale"]
        assert held["conversions"][0][1] == Decimal("34.20")
        assert held["commissions"] == 1
        income = session.scalars(
            select(JournalEntry).where(JournalEntry.source == "commerce")
        ).all()
        assert len(income) == 2
        purchased = session.scalars(select(Activity.ref).where(Activity.kind == "purchased")).all()
        assert sorted(purchased) == ["book", "workbook"]
        assert session.scalar(select(Coupon.redemptions).where(Coupon.code == "ANA")) == 1
        assert shop.book


def test_partial_then_full_refund_reverses_ledger_and_commission(db: Database) -> None:
    with db.session() as session:
        make_shop(session)
        order = service.start_checkout(
            session, None, buy(bump=False, coupon="", country=""), NOW
        ).order
        service.mark_manual_paid(session, order.id, SECRET, NOW)
        order_id, number = order.id, order.number
    with db.session() as session:
        service.refund_order(session, None, order_id, 900, "refund-nonce-1", NOW)
        service.refund_order(session, None, order_id, 900, "refund-nonce-1", NOW)  # retried
        held = counts(session, number)
        assert (held["status"], held["refunded"]) == ("partially_refunded", 900)
        assert [e for e, _a in held["conversions"]] == ["sale", "refund"]
        # the first entry is reversed and the rest (20.00) posted: 3 entries
        assert held["entries"] == 3
    with db.session() as session:
        with pytest.raises(InputError) as too_much:
            service.refund_order(session, None, order_id, 2001, "refund-nonce-2", NOW)
        assert too_much.value.field == "amount"
    with db.session() as session:
        service.refund_order(session, None, order_id, None, "refund-nonce-3", NOW)
        held = counts(session, number)
        assert (held["status"], held["refunded"]) == ("refunded", 2900)
        assert held["entries"] == 4  # the 20.00 reversed; nothing stands
        with pytest.raises(InputError):
            service.refund_order(session, None, order_id, None, "refund-nonce-4", NOW)


@pytest.mark.parametrize(
    ("paid", "cancel_now", "refusal"),
    [
        (False, False, ("order", "only a paid order can be refunded")),
        (False, True, ("cancel_now", "this order is not a subscription's period")),
        (True, True, ("cancel_now", "this order is not a subscription's period")),
    ],
)
def test_the_refund_plan_refuses_what_the_refund_refuses_and_nothing_changes(
    db: Database, paid: bool, cancel_now: bool, refusal: tuple[str, str]
) -> None:
    """The command shows a plan before it asks; a refusal there is the refund's own, word for
    word, and neither the plan nor the refund it refused changes the order."""
    with db.session() as session:
        make_shop(session)
        order = service.start_checkout(session, None, buy(bump=False), NOW).order
        if paid:
            service.mark_manual_paid(session, order.id, SECRET, NOW)
        order_id, number, status = order.id, order.number, order.status
    for attempt in (
        lambda session: plan_refund(session, order_id, None, cancel_now=cancel_now),
        lambda session: service.refund_order(
            session, None, order_id, None, "refund-refused-1", NOW, cancel_now=cancel_now
        ),
    ):
        with db.session() as session, pytest.raises(InputError) as refused:
            attempt(session)
        assert (refused.value.field, refused.value.message) == refusal
    with db.session(writer=False) as session:
        held = counts(session, number)
        assert (held["status"], held["refunded"]) == (status, 0)
    with db.session() as session:
        for attempt in (
            lambda: plan_refund(session, 10**6, None, cancel_now=cancel_now),
            lambda: service.refund_order(session, None, 10**6, None, "r-none-1", NOW),
        ):
            with pytest.raises(NotFound, match="no such order"):
                attempt()


def test_bad_checkouts_store_nothing(db: Database) -> None:
    with db.session() as session:
        make_shop(session)
        cases = [
            (buy(email="nope"), "email"),
            (buy(currency="USD"), "currency"),
            (buy(coupon="NOSUCH"), "coupon"),
            (buy(nonce="x"), "nonce"),
            (buy(country="Germany"), "country"),
        ]
        for data, field in cases:
            with pytest.raises(InputError) as refused:
                service.start_checkout(session, None, data, NOW)
            assert refused.value.field == field
        with pytest.raises(NotFound):
            service.start_checkout(session, None, buy(slug="workbook-x"), NOW)
        assert session.scalars(select(Order)).all() == []


def test_funnel_sales_lists_paid_lines(db: Database) -> None:
    with db.session() as session:
        make_shop(session)
        data = buy(funnel_id=7, step_id=3, variant="b", coupon="", country="")
        order = service.start_checkout(session, None, data, NOW).order
        service.mark_manual_paid(session, order.id, SECRET, NOW)
    with db.session(writer=False) as session:
        sales = queries.funnel_sales(session, 7, NOW - timedelta(days=1), NOW + timedelta(days=1))
        assert [(s.role, s.amount_net, s.step_id, s.variant) for s in sales] == [
            ("main", 2900, 3, "b"), ("bump", 900, 3, "b"),
        ]  # fmt: skip
        assert queries.funnel_sales(session, 8, NOW - timedelta(days=1), NOW) == []


def test_a_free_order_is_paid_by_hand_at_once_even_with_stripe_set(db: Database) -> None:
    from evergreen.commerce.payments import StripeProvider

    stripe_set = StripeProvider("sk_test_never_called", "whsec_x")  # a free order calls nothing
    with db.session() as session:
        make_shop(session)
        service.add_coupon(session, service.CouponDraft("GIFT", percent_off="100"))
        data = buy(coupon="gift", country="", bump=False)
        order = service.start_checkout(session, stripe_set, data, NOW).order
        assert (order.total_cents, order.provider) == (0, "manual")
        assert service.mark_manual_paid(session, order.id, SECRET, NOW).newly_paid
        card = queries.order_card(session, order.id)
        assert card is not None
        assert [e.kind for e in card.events] == ["payment_succeeded"]


def test_a_paid_order_grants_its_products_and_a_full_refund_takes_them_back(db: Database) -> None:
    with db.session() as session:
        shop = make_shop(session)
        service.set_delivery(session, shop.book, download_limit=None, link_hours=None,
                             license_activations=2)  # fmt: skip
        order = service.start_checkout(session, None, buy(coupon="", country=""), NOW).order
        order_id, source = order.id, service.source_of(order)
        assert service.links_of_source(session, SECRET, "http://shop", source, NOW) == []
    with db.session() as session:
        service.mark_manual_paid(session, order_id, SECRET, NOW)
        service.mark_manual_paid(session, order_id, SECRET, NOW)  # again: nothing new
    with db.session() as session:
        grants = service.grants_of_email(session, "buyer@example.com")
        assert sorted((g.product_id, g.source, g.status) for g in grants) == [
            (shop.book, source, "active"),
            (shop.workbook, source, "active"),
        ]
        assert len(service.licenses_of(session, [g.id for g in grants])) == 1
        service.refund_order(session, None, order_id, 500, "refund-part-1", NOW)
    with db.session() as session:  # a part refund leaves the purchase with the buyer
        assert {g.status for g in service.grants_of_email(session, "buyer@example.com")} == {
            "active"
        }
        service.refund_order(session, None, order_id, None, "refund-rest-1", NOW)
    with db.session() as session:
        grants = service.grants_of_email(session, "buyer@example.com")
        assert {(g.status, g.revoked_reason) for g in grants} == {("revoked", "refunded")}
        assert service.links_of_source(session, SECRET, "http://shop", source, NOW) == []


def test_a_purchase_names_a_new_subscriber_but_renames_no_one(db: Database) -> None:
    """The billing name can be a partner's or a company's: the reader the mails greet keeps
    the name they gave; someone new to the audience gets the billing name."""
    with db.session() as session:
        make_shop(session)
        audience.find_or_add(session, SECRET, "reader@example.com", audience.Source.FORM,
                             name="Ana Reader")  # fmt: skip
        for email, name in (("reader@example.com", "Bob Cardholder"), ("new@example.com", "Cy")):
            started = service.start_checkout(session, None, buy(email=email, name=name), NOW)
            service.mark_manual_paid(session, started.order.id, SECRET, NOW)
    with db.session() as session:
        names = dict(session.execute(select(Subscriber.email, Subscriber.name)).all())
        assert names == {"reader@example.com": "Ana Reader", "new@example.com": "Cy"}
