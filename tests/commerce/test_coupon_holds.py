"""A capped coupon on SQLite and PostgreSQL: its uses are taken by paid orders and by other
buyers' pending orders for a day, so a second buyer is refused at checkout (even when both
check out at once); an abandoned order gives its use back, and a payment that comes anyway is
recorded."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from evergreen.commerce import service
from evergreen.commerce.models import Coupon, Order
from evergreen.commerce.rules.cart import CouponTerms, coupon_problem
from evergreen.commerce.service.checkout import COUPON_HOLD
from evergreen.db import Database
from evergreen.errors import InputError
from tests.commerce.orders_world import SECRET, buy, make_shop

NOW = datetime.now(UTC)


def test_open_orders_holding_a_capped_coupon_count_towards_its_cap() -> None:
    capped = CouponTerms("SOLO", max_redemptions=3, redemptions=1)
    assert coupon_problem(capped, NOW, holding=1) == ""
    assert coupon_problem(capped, NOW, holding=2) == "SOLO has been used up"
    assert coupon_problem(CouponTerms("FREE"), NOW, holding=99) == ""


def _shop(db: Database, cap: int = 1) -> None:
    with db.session() as session:
        make_shop(session)
        service.add_coupon(session, service.CouponDraft("SOLO", "10", max_redemptions=cap))


def _checkout(db: Database, email: str, now: datetime = NOW) -> int:
    with db.session() as session:
        return service.start_checkout(session, None, buy(coupon="solo", email=email), now).order.id


def _redemptions(db: Database) -> int:
    with db.session() as session:
        found = session.scalar(select(Coupon.redemptions).where(Coupon.code == "SOLO"))
        assert found is not None
        return found


def test_a_second_buyer_is_refused_while_the_first_order_holds_the_last_use(
    db: Database,
) -> None:
    _shop(db)
    first = _checkout(db, "ana@example.com")
    with pytest.raises(InputError) as refused:
        _checkout(db, "bob@example.com")
    assert (refused.value.field, refused.value.message) == ("coupon", "SOLO has been used up")
    with db.session() as session:
        assert service.mark_manual_paid(session, first, SECRET, NOW).newly_paid
    with pytest.raises(InputError, match="SOLO has been used up"):
        _checkout(db, "bob@example.com")
    with db.session() as session:
        assert session.scalars(select(Order.buyer_email)).all() == ["ana@example.com"]
    assert _redemptions(db) == 1


def test_a_buyer_coming_back_is_not_refused_by_their_own_pending_order(db: Database) -> None:
    _shop(db)
    _checkout(db, "ana@example.com")
    _checkout(db, "ANA@example.com")  # a fresh form after leaving the first order unpaid
    with pytest.raises(InputError, match="SOLO has been used up"):
        _checkout(db, "bob@example.com")


def test_an_abandoned_order_stops_holding_after_a_day_and_its_payment_still_counts(
    db: Database,
) -> None:
    _shop(db)
    stale = _checkout(db, "ana@example.com", NOW - COUPON_HOLD - timedelta(minutes=1))
    fresh = _checkout(db, "bob@example.com")
    with pytest.raises(InputError, match="SOLO has been used up"):
        _checkout(db, "cy@example.com")
    with db.session() as session:  # money received is never refused: both are paid
        assert service.mark_manual_paid(session, fresh, SECRET, NOW).newly_paid
        assert service.mark_manual_paid(session, stale, SECRET, NOW).newly_paid
    assert _redemptions(db) == 2


def test_a_cancelled_order_gives_its_use_back_at_once(db: Database) -> None:
    _shop(db, cap=2)
    first = _checkout(db, "ana@example.com")
    _checkout(db, "bob@example.com")
    with pytest.raises(InputError, match="SOLO has been used up"):
        _checkout(db, "cy@example.com")
    with db.session() as session:
        row = session.get(Order, first)
        assert row is not None
        row.status = "cancelled"  # as the provider's cancelled payment leaves it
    _checkout(db, "cy@example.com")


def test_concurrent_checkouts_take_the_last_use_once(db: Database) -> None:
    _shop(db)

    def attempt(n: int) -> str:
        try:
            _checkout(db, f"buyer{n}@example.com")
        except InputError as exc:
            return exc.field
        return "opened"

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert sorted(pool.map(attempt, range(8))) == ["coupon"] * 7 + ["opened"]
    with db.session() as session:
        assert len(session.scalars(select(Order.id)).all()) == 1


def test_the_second_buyers_checkout_page_says_the_coupon_is_used_up(
    client: TestClient, db: Database
) -> None:
    _shop(db)

    def post(email: str) -> tuple[int, str]:
        page = client.get("/buy/book")
        hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page.text))
        posted = {**hidden, "email": email, "coupon": "solo"}
        done = client.post("/buy/book", data=posted, follow_redirects=False)
        return done.status_code, done.text

    assert post("ana@example.com")[0] == 303
    status, text = post("bob@example.com")
    assert status == 400
    assert "SOLO has been used up" in text
    with db.session() as session:
        assert len(session.scalars(select(Order.id)).all()) == 1


def test_subscribing_with_a_capped_coupon_counts_open_orders_too(db: Database) -> None:
    """The subscribe page takes the same capped coupon as checkout, under the same count: a
    checkout's open order holds its last use, and the subscription's first order holds it."""
    from tests.commerce.subscriptions_world import make_club, subscribe_input

    _shop(db)
    with db.session() as session:
        make_club(session)
    _checkout(db, "ana@example.com")
    with db.session() as session, pytest.raises(InputError, match="SOLO has been used up"):
        service.subscriptions.subscribe(session, None, subscribe_input(coupon="solo"), NOW)
    with db.session() as session:
        service.add_coupon(session, service.CouponDraft("CLUB", "10", max_redemptions=1))
    with db.session() as session:
        done = service.subscriptions.subscribe(session, None, subscribe_input(coupon="club"), NOW)
        assert done.subscription.coupon_code == "CLUB"
    with db.session() as session, pytest.raises(InputError, match="CLUB has been used up"):
        service.subscriptions.subscribe(
            session, None, subscribe_input(coupon="club", email="cy@example.com"), NOW
        )
