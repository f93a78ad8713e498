"""Renewals priced as Stripe Billing prices them, on SQLite and PostgreSQL (bank transfer): a
coupon for its duration (once, three periods, forever) with MRR counting the discounted amount,
the buyer's tax rate read again at each renewal with the income posted net of it, a refund of
one period that leaves the subscription running (or ends it when asked), and a period paid
after a delinquent end that revives the subscription (a reactivation in MRR)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from evergreen.commerce import service
from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.models import Grant, Order, Subscription, SubscriptionEvent
from evergreen.db import Database
from evergreen.ledger.models import JournalEntry, Posting
from tests.commerce.orders_world import SECRET
from tests.commerce.subscriptions_world import make_club, subscribe_input


def _start(db: Database, now: datetime, **changes: str) -> int:
    """A subscription whose first period is paid by transfer; its id."""
    with db.session() as session:
        done = service.subscriptions.subscribe(session, None, subscribe_input(**changes), now)
        assert done.order is not None
        service.mark_manual_paid(session, done.order.id, SECRET, now)
        return done.subscription.id


def _renew(db: Database, sub_id: int) -> Order:
    """The next period falls due and the owner marks its transfer paid; its order."""
    with db.session() as session:
        sub = session.get(Subscription, sub_id)
        assert sub is not None
        assert sub.current_period_end is not None
        due, n = sub.current_period_end, sub.period + 1
        assert service.subscriptions.renew_one(session, None, sub_id, SECRET, due).outcome == (
            "failed"  # a transfer is awaited
        )
        order = session.scalar(select(Order).where(Order.checkout_key == f"renewal:{sub_id}:{n}"))
        assert order is not None
        service.mark_manual_paid(session, order.id, SECRET, due + timedelta(hours=1))
        session.expunge(order)
        return order


def _kinds(db: Database, sub_id: int) -> list[tuple[str, int]]:
    with db.session() as session:
        query = select(SubscriptionEvent.kind, SubscriptionEvent.amount_cents)
        rows = session.execute(
            query.where(SubscriptionEvent.subscription_id == sub_id).order_by(SubscriptionEvent.id)
        )
        return [(kind, amount) for kind, amount in rows]


def test_coupons_last_their_duration_and_mrr_counts_the_discount(db: Database) -> None:
    now = datetime.now(UTC) - timedelta(days=200)
    with db.session() as session:
        make_club(session)
        for code, percent, amount, duration, periods in (
            ("HALF", "50", None, "once", None), ("THREE", None, "1.00", "repeating", 3),
            ("TENOFF", "10", None, "forever", None),
        ):  # fmt: skip
            draft = service.CouponDraft(code, percent, amount, "EUR" if amount else None,
                                        duration=duration, duration_periods=periods)  # fmt: skip
            service.add_coupon(session, draft)
    subs = {
        code: _start(db, now, email=f"{code.lower()}@example.com", coupon=code)
        for code in ("HALF", "THREE", "TENOFF")
    }
    with db.session() as session:
        first = session.scalars(select(Order.total_cents).order_by(Order.id)).all()
        assert list(first) == [500, 900, 900]
        views = service.subscriptions.mrr_report_of(session, now.date(), now.date())
        assert views[0].months[-1].closing == Decimal("23.00")  # 5 + 9 + 9, not 30
    totals = {code: [_renew(db, sub_id).total_cents for _n in range(4)] for code, sub_id in
              subs.items()}  # fmt: skip
    assert totals == {
        "HALF": [1000, 1000, 1000, 1000],  # periods 2 to 5
        "THREE": [900, 900, 1000, 1000],  # periods 2 and 3 still discounted
        "TENOFF": [900, 900, 900, 900],
    }
    assert _kinds(db, subs["HALF"])[:4] == [  # a transfer awaited is a failed payment first
        ("start", 500),
        ("payment_failed", 500),
        ("recovered", 1000),
        ("change", 1000),
    ]
    with db.session() as session:
        coupon = {c.code: c.redemptions for c in service.list_coupons(session)}
        assert coupon == {"HALF": 1, "THREE": 1, "TENOFF": 1}  # redeemed once, at subscribe
        facts = service.subscriptions.mrr_facts(session)
        last = max(f.at for f in facts).date()
        closing = service.subscriptions.mrr_report_of(session, last, last)[0].months[-1].closing
        assert closing == Decimal("29.00")  # 10 + 10 + 9 once the discounts ran out


def test_each_renewal_is_taxed_at_the_rate_of_the_day_and_posted_net(db: Database) -> None:
    now = datetime.now(UTC)
    with db.session() as session:
        make_club(session)
        rate = service.add_tax_rate(session, service.TaxDraft("DE", "19"))
        rate_id = rate.id
    sub_id = _start(db, now, country="de")
    with db.session() as session:
        order = session.scalar(select(Order).where(Order.subscription_id == sub_id))
        assert order is not None
        assert (order.tax_cents, order.total_cents, order.buyer_country) == (190, 1190, "DE")
        service.update_tax_rate(session, rate_id, service.TaxDraft("DE", "20"))
    renewal = _renew(db, sub_id)
    assert (renewal.subtotal_cents, renewal.tax_cents, renewal.total_cents) == (1000, 200, 1200)
    with db.session() as session:
        income = session.scalar(
            select(func.sum(Posting.amount))
            .join(JournalEntry, JournalEntry.id == Posting.transaction_id)
            .where(JournalEntry.narration.like(f"Order {renewal.number}%"))
            .where(Posting.account.like("Income%"))
        )
        assert income is not None
        assert abs(income) == Decimal("10.00")


def _grants(db: Database, sub_id: int) -> list[str]:
    with db.session() as session:
        query = select(Grant.status).where(Grant.source == f"subscription:{sub_id}")
        return list(session.scalars(query))


def test_refunding_one_period_keeps_the_subscription_unless_cancelled_now(db: Database) -> None:
    now = datetime.now(UTC)
    with db.session() as session:
        make_club(session)
    sub_id = _start(db, now)
    second = _renew(db, sub_id)
    with db.session() as session:
        service.refund_order(session, None, second.id, None, "refund-period-2", now)
        sub = session.get(Subscription, sub_id)
        assert sub is not None
        assert (sub.status, sub.period) == ("active", 2)  # access continues
        assert session.get(Order, second.id).status == "refunded"  # type: ignore[union-attr]
    assert _grants(db, sub_id) == ["active"]
    with db.session() as session:
        first = session.scalar(select(Order).where(Order.checkout_key != second.checkout_key))
        assert first is not None
        service.refund_order(session, None, first.id, 300, "refund-part-1", now, cancel_now=True)
        sub = session.get(Subscription, sub_id)
        assert sub is not None
        assert (sub.status, sub.end_reason) == ("ended", "voluntary")
    assert _grants(db, sub_id) == ["revoked"]
    assert [k for k, _a in _kinds(db, sub_id)][-1] == "cancel"


def test_a_period_paid_after_a_delinquent_end_revives_the_subscription(db: Database) -> None:
    now = datetime.now(UTC) - timedelta(days=40)
    with db.session() as session:
        make_club(session)
    sub_id = _start(db, now)
    with db.session() as session:
        sub = session.get(Subscription, sub_id)
        assert sub is not None
        assert sub.current_period_end is not None
        due = sub.current_period_end
        assert service.subscriptions.renew_one(session, None, sub_id, SECRET, due).outcome == (
            "failed"
        )
        ended = service.subscriptions.renew_one(session, None, sub_id, SECRET, due + timedelta(8))
        assert ended.outcome == "ended_delinquent"
    assert _grants(db, sub_id) == ["revoked"]
    late = datetime.now(UTC)
    with db.session() as session:  # the owner sees the transfer arrive after the end
        order = session.scalar(select(Order).where(Order.checkout_key == f"renewal:{sub_id}:2"))
        assert order is not None
        assert order.status == "pending"
        assert service.mark_manual_paid(session, order.id, SECRET, late).newly_paid
        sub = session.get(Subscription, sub_id)
        assert sub is not None
        assert (sub.status, sub.period, sub.end_reason, sub.ended_at) == ("active", 2, "", None)
        assert sub.current_period_start == late  # a full period from the payment
        assert sub.current_period_end is not None
        assert sub.current_period_end.date() > (late + timedelta(days=27)).date()
    assert _grants(db, sub_id) == ["active"]
    kinds = [k for k, _a in _kinds(db, sub_id)]
    assert kinds == ["start", "payment_failed", "delinquent", "reactivate"]
    with db.session() as session:
        month = late.date().replace(day=1)
        views = service.subscriptions.mrr_report_of(session, month, late.date())
        assert views[0].months[-1].reactivation == Decimal("10.00")
        assert views[0].months[-1].closing == Decimal("10.00")


def test_a_fully_discounted_period_is_paid_as_it_is_made(db: Database) -> None:
    now = datetime.now(UTC) - timedelta(days=40)
    with db.session() as session:
        make_club(session)
        service.add_coupon(session, service.CouponDraft("FREE", "100", duration="forever"))
    with db.session() as session:
        done = service.subscriptions.subscribe(session, None, subscribe_input(coupon="free"), now)
        assert done.order is not None
        assert (done.order.total_cents, done.order.provider) == (0, "manual")
        service.mark_manual_paid(session, done.order.id, SECRET, now)
        sub = session.get(Subscription, done.subscription.id)
        assert sub is not None
        assert sub.current_period_end is not None
        sub_id, due = sub.id, sub.current_period_end
    with db.session() as session:
        renewed = service.subscriptions.renew_one(session, None, sub_id, SECRET, due)
        assert renewed.outcome == "paid"  # nothing to charge, nothing to wait for
        sub = session.get(Subscription, sub_id)
        assert sub is not None
        assert (sub.status, sub.period) == ("active", 2)
        bad = subscribe_input(coupon="NOPE", email="eve@example.com")
        with pytest.raises(CommerceInputError) as refused:
            service.subscriptions.subscribe(session, None, bad, now)
        assert refused.value.field == "coupon"


def test_the_dunning_reminder_quotes_the_open_periods_total_with_tax_and_coupon(
    db: Database,
) -> None:
    now = datetime.now(UTC)
    with db.session() as session:
        make_club(session)
        service.add_tax_rate(session, service.TaxDraft("DE", "20"))
        service.add_coupon(session, service.CouponDraft("HALF", "50", duration="forever"))
    sub_id = _start(db, now, country="de", coupon="HALF")
    with db.session() as session:
        sub = session.get(Subscription, sub_id)
        assert sub is not None
        assert sub.current_period_end is not None
        due = sub.current_period_end
        renewed = service.subscriptions.renew_one(session, None, sub_id, SECRET, due)
        assert renewed.outcome == "failed"  # a transfer is awaited
        mail = service.subscriptions.reminder_mail(
            session, sub_id, "awaiting your transfer", SECRET, "http://shop.test", due
        )
    # The plan is 10.00 a month: half off, then 20 % tax on 5.00, is 6.00 due.
    assert mail.values["amount"] == "6.00 EUR"
