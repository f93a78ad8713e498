"""The MRR page's snapshot on SQLite and PostgreSQL: computed from paid subscriptions (a
yearly plan a twelfth a month, a trial none), reused while nothing moved MRR (a renewal does
not), recomputed when a fact is added or the day changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from evergreen.commerce import service
from evergreen.db import Database
from tests.commerce.orders_world import SECRET
from tests.commerce.subscriptions_world import make_club, subscribe_input


def _paid(db: Database, slug: str, email: str, now: datetime) -> int:
    with db.session() as session:
        done = service.subscriptions.subscribe(
            session, None, subscribe_input(slug=slug, email=email), now
        )
        if done.order is not None:
            service.mark_manual_paid(session, done.order.id, SECRET, now)
        return done.subscription.id


def _closing(db: Database, now: datetime) -> tuple[datetime, list[str]]:
    with db.session() as session:
        row = service.subscriptions.mrr_page(session, now)
        return row.built_at, [view["months"][-1]["closing"] for view in row.report["views"]]


def test_the_snapshot_follows_the_facts(db: Database) -> None:
    now = datetime.now(UTC)
    with db.session() as session:
        make_club(session)
        yearly = service.add_product(session, service.ProductDraft("Annual", "subscription"))
        draft = service.PriceDraft("EUR", "120.00", interval="year")
        service.add_price(session, yearly.id, draft)
        service.set_status(session, yearly.id, "active")
    _paid(db, "club", "a@example.com", now)
    _paid(db, "annual", "b@example.com", now)
    _paid(db, "trial-club", "c@example.com", now)  # trialing: no MRR
    first, closing = _closing(db, now)
    assert closing == ["20.00"]  # 10 a month + 120 a year as 10 a month
    assert _closing(db, now + timedelta(minutes=1)) == (first, ["20.00"])  # reused
    _paid(db, "club", "d@example.com", now)
    second, closing = _closing(db, now + timedelta(minutes=2))
    assert second != first
    assert closing == ["30.00"]
    tomorrow, _ = _closing(db, now + timedelta(days=1))
    assert tomorrow != second  # a new day: the months shown move on
