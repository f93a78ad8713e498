"""A past-due subscription cancelled now while the owner marks its open period's order paid (a
bank transfer seen at that moment). Cancelling locks the subscription, then cancels the open
order from what it read; paying locks the order, then the subscription. Under READ COMMITTED the
two waited on each other in a circle and PostgreSQL aborted one (an error for the owner, or a
payment webhook failed); now an order of a subscription is always locked after its
subscription, so one goes first and the other decides on what it left."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.commerce import service
from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.models import Grant, Order, Subscription
from evergreen.commerce.service.subscriptions import manage
from evergreen.db import Database
from tests.commerce.orders_world import SECRET
from tests.commerce.subscriptions_world import make_club, subscribe_input
from tests.races import race


def _past_due(db: Database) -> tuple[int, int, datetime]:
    """A bank-transfer subscription whose second period is unpaid: its id, the open order's id
    and a moment inside the grace period."""
    now = datetime.now(UTC)
    with db.session() as session:
        make_club(session)
        done = service.subscriptions.subscribe(session, None, subscribe_input(), now)
        assert done.order is not None
        service.mark_manual_paid(session, done.order.id, SECRET, now)
        sub = session.get(Subscription, done.subscription.id)
        assert sub is not None
        assert sub.current_period_end is not None
        due, sub_id = sub.current_period_end, sub.id
    with db.session() as session:
        renewed = service.subscriptions.renew_one(session, None, sub_id, SECRET, due)
        assert renewed.outcome == "failed"
        order = session.scalar(select(Order).where(Order.checkout_key == f"renewal:{sub_id}:2"))
        assert order is not None
        return sub_id, order.id, due + timedelta(hours=1)


def test_cancelling_now_as_the_open_period_is_marked_paid_lets_one_go_first(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    sub_id, order_id, now = _past_due(db)

    def cancel(session: Session) -> object:
        return manage.cancel(session, sub_id, now, at_period_end=False).status

    def paid(session: Session) -> object:
        return service.mark_manual_paid(session, order_id, SECRET, now).newly_paid

    (ended, cancel_error), (newly_paid, paid_error) = race(
        db, monkeypatch, cancel, paid,
        pause_at=(manage, "lock_subscription"), pause_after=True,
    )  # fmt: skip
    assert cancel_error is None, cancel_error  # never a deadlock
    assert ended == "ended"
    with db.session(writer=False) as session:
        sub = session.get(Subscription, sub_id)
        order = session.get(Order, order_id)
        assert sub is not None
        assert order is not None
        grants = [g.status for g in session.scalars(select(Grant))]
        if paid_error is None:  # the payment came first: recovered, then cancelled now
            assert newly_paid is True
            assert (order.status, sub.period) == ("paid", 2)
        else:  # the cancel came first: its open order is cancelled and cannot be paid
            assert isinstance(paid_error, CommerceInputError), paid_error
            assert "cancelled order" in paid_error.message
            assert (order.status, sub.period) == ("cancelled", 1)
        assert (sub.status, sub.end_reason) == ("ended", "voluntary")
        assert set(grants) <= {"revoked"}
