"""The MRR page's snapshot on SQLite and PostgreSQL: computed from paid subscriptions (a
yearly plan a twelfth a month, a trial none), reused while nothing moved MRR (a renewal does
not), recomputed when a fact is added or the day changes; the ω a product's retention implies
offered to its ledger stream, never over the owner's own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from evergreen.commerce import service
from evergreen.config import Settings
from evergreen.db import Database
from evergreen.ledger import service as ledger
from evergreen.web import create_app
from tests.commerce.orders_world import SECRET
from tests.commerce.subscriptions_world import make_club, subscribe_input
from tests.http_helpers import csrf_from, sign_in


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
    # Noon today: the day changes where the test says so, never because a run crossed midnight.
    now = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
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


def test_the_estimated_persistence_is_offered_to_the_ledger_never_over_the_owners(
    db: Database, people: dict[str, str], settings: Settings
) -> None:
    now = datetime.now(UTC)
    with db.session() as session:
        club, _trial = make_club(session)
    for n in range(3):  # three subscribers since four months, one gone after two
        sub_id = _paid(db, "club", f"s{n}@example.com", now - timedelta(days=124))
        if n == 0:
            with db.session() as session:
                service.subscriptions.cancel(session, sub_id, now - timedelta(days=62),
                                             at_period_end=False)  # fmt: skip
    with TestClient(create_app(settings, database=db)) as client:
        sign_in(client, people["owner"])
        page = client.get("/commerce/mrr")
        assert "Use as the stream" in page.text
        token = csrf_from(page.text)
        ask = client.post("/commerce/mrr/persistence",
                          data={"csrf_token": token, "product_id": str(club)})  # fmt: skip
        assert "Use the estimated ω for Club" in ask.text
        yes = {"csrf_token": token, "product_id": str(club), "confirm": "yes"}
        done = client.post("/commerce/mrr/persistence", data=yes)
        assert "The stream&#39;s persistence is set." in done.text
        again = client.post("/commerce/mrr/persistence", data=yes)
        assert again.status_code == 400  # the stream has a ω now: never overwritten
        assert "has your own ω" in again.text
        bad = client.post("/commerce/mrr/persistence", data={**yes, "product_id": "x"})
        assert bad.status_code == 400
    with db.session() as session:
        stream = ledger.stream_of_scope(session, f"commerce:{club}")
        assert stream is not None
        assert stream.persistence is not None
        assert Decimal(0) < stream.persistence < Decimal(1)  # a third churned: below 1


def test_a_large_book_shows_the_tasks_recent_snapshot_instead_of_recomputing(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from evergreen.commerce.service.subscriptions import report

    monkeypatch.setattr(report, "RECOMPUTE_IN_PAGE", 1)  # two facts make this book "large"
    now = datetime.now(UTC)
    with db.session() as session:
        make_club(session)
    _paid(db, "club", "a@example.com", now)
    first, closing = _closing(db, now)  # no snapshot yet: computed in the page
    assert closing == ["10.00"]
    _paid(db, "club", "b@example.com", now)
    assert _closing(db, now + timedelta(minutes=5)) == (first, ["10.00"])  # the recent one
    later, closing = _closing(db, now + report.TASK_LAG + timedelta(minutes=1))
    assert (later != first, closing) == (True, ["20.00"])  # too old: computed again
