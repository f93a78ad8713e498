"""A subscription's orders on SQLite and PostgreSQL (bank transfer): each renewal is an order
the owner marks paid, and pays the partner who brought the buyer again (recurring commission,
the customer bound to the partner) and posts its income to the ledger, once; one subscribe
form sent 64 times at once opens one subscription."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from evergreen.commerce import service
from evergreen.commerce.models import Order, Subscription
from evergreen.db import Database
from evergreen.partners import service as partners
from tests.commerce.orders_world import SECRET, buy, counts, make_shop
from tests.commerce.subscriptions_world import make_club, subscribe_input


def test_a_renewal_pays_the_buyers_partner_again_and_the_ledger_once(db: Database) -> None:
    now = datetime.now(UTC)
    with db.session() as session:
        make_shop(session)  # a book, and Ana's coupon ANA
        program = partners.default_program(session, "EUR")
        partners.add_terms(
            session, program,
            partners.TermsDraft(kind="percent", rate=Decimal("20"), duration="lifetime",
                                effective_from=now - timedelta(hours=1)),
        )  # fmt: skip
        make_club(session)
        book = service.start_checkout(session, None, buy(email="bea@example.com"), now).order
        service.mark_manual_paid(session, book.id, SECRET, now)  # Bea came through Ana
        done = service.subscriptions.subscribe(session, None, subscribe_input(), now)
        assert done.order is not None
        service.mark_manual_paid(session, done.order.id, SECRET, now)
        sub = session.get(Subscription, done.subscription.id)
        assert sub is not None
        assert sub.current_period_end is not None
        due, sub_id, first = sub.current_period_end, sub.id, done.order.number
        entries = counts(session, first)["entries"]
    with db.session() as session:
        renewed = service.subscriptions.renew_one(session, None, sub_id, SECRET, due)
        assert (renewed.outcome, renewed.remind) == ("failed", True)  # waits for the transfer
        again = service.subscriptions.renew_one(session, None, sub_id, SECRET, due)
        assert again.outcome == "nothing"  # retried later, not now; one order for the period
        order = session.scalar(select(Order).where(Order.checkout_key == f"renewal:{sub_id}:2"))
        assert order is not None
        assert (order.status, order.total_cents, order.provider) == ("pending", 1000, "manual")
        service.mark_manual_paid(session, order.id, SECRET, due + timedelta(hours=2))
        renewal = order.number
    with db.session() as session:
        sub = session.get(Subscription, sub_id)
        assert sub is not None
        assert (sub.status, sub.period) == ("active", 2)
        for number in (first, renewal):
            seen = counts(session, number)
            assert seen["status"] == "paid"
            assert seen["conversions"] == [("sale", seen["conversions"][0][1])]
            assert seen["commissions"] == 1  # Ana earns on each period (lifetime terms)
        posted = counts(session, renewal)["entries"]
        assert posted > entries  # the renewal's income is in the ledger
        assert service.mark_manual_paid(session, order.id, SECRET, due).changed is False
        assert counts(session, renewal)["commissions"] == 1
        assert counts(session, renewal)["entries"] == posted  # once


def test_one_form_sent_64_times_at_once_opens_one_subscription(db: Database) -> None:
    with db.session() as session:
        make_club(session)
    data = subscribe_input()

    def send(_i: int) -> tuple[int, int | None]:
        with db.session() as session:
            done = service.subscriptions.subscribe(session, None, data, datetime.now(UTC))
            return done.subscription.id, done.order.id if done.order else None

    with ThreadPoolExecutor(max_workers=64) as pool:
        answers = set(pool.map(send, range(64)))
    assert len(answers) == 1
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Subscription)) == 1
        assert session.scalar(select(func.count()).select_from(Order)) == 1
