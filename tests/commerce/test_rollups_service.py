"""The funnel sales rollup on SQLite and PostgreSQL: kept live by paid orders, refunds (part,
full, and one seen before the payment) and the payment-fee hook, it equals the rollup rebuilt
from the orders; 64 concurrent payers of one funnel add up exactly."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.commerce import queries, service
from evergreen.commerce.models import FunnelSalesDaily, Order, OrderLine
from evergreen.commerce.rules.checkout import refund_shares
from evergreen.commerce.service import rollups
from evergreen.commerce.service.paid import lock_order, mark_refunded
from evergreen.db import Database, is_busy
from tests.commerce.orders_world import SECRET, buy, make_shop
from tests.races import race

DAY1 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
DAY2 = DAY1 + timedelta(days=1, hours=13)  # 23:00 UTC


def _rows(session: Session) -> list[tuple[Any, ...]]:
    """The whole rollup, in key order."""
    r = FunnelSalesDaily
    return [
        tuple(row)
        for row in session.execute(
            select(r.funnel_id, r.step_id, r.variant, r.role, r.currency, r.day, r.orders,
                   r.net_cents, r.refunded_cents, r.fee_cents)
            .order_by(r.funnel_id, r.step_id, r.variant, r.role, r.currency, r.day)
        )
    ]  # fmt: skip


def _start(session: Session, *, funnel: int = 7, step: int = 3, variant: str = "a",
           bump: bool = True, role: str = "", country: str = "DE") -> Order:  # fmt: skip
    """A pending funnel order; `role` relabels its lines as the one-click upsell service
    stores a child order's (an upsell or downsell step's)."""
    data = buy(funnel_id=funnel, step_id=step, variant=variant, bump=bump, coupon="",
               country=country)  # fmt: skip
    order = service.start_checkout(session, None, data, DAY1).order
    if role:
        for line in session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)):
            line.role = role
        session.flush()
    return order


def _pay(session: Session, order: Order, when: datetime) -> None:
    assert service.mark_manual_paid(session, order.id, SECRET, when).newly_paid


def test_the_live_rollup_equals_the_rebuilt_one_after_a_mixed_history(db: Database) -> None:
    with db.session() as session:
        make_shop(session)
        front = _start(session)  # book + workbook bump, 19 % tax
        _pay(session, front, DAY1)
        plain = _start(session, bump=False, variant="b", country="")
        _pay(session, plain, DAY1)
        service.refund_order(session, None, plain.id, 900, "nonce-part-1", DAY2)
        service.refund_order(session, None, plain.id, None, "nonce-full-1", DAY2)
        upsell = _start(session, step=4, variant="", bump=False, role="upsell")
        _pay(session, upsell, DAY2)
        service.refund_order(session, None, upsell.id, 500, "nonce-part-2", DAY2)
        downsell = _start(session, step=5, variant="", bump=False, role="downsell")
        early = lock_order(session, downsell.id)  # Stripe's refund event before the payment
        assert early is not None
        mark_refunded(session, early, 700, DAY2)
        _pay(session, downsell, DAY2)
        other = _start(session, funnel=8)
        _pay(session, other, DAY2)
        _start(session, bump=False)  # never paid: not in the report
        paid = lock_order(session, front.id)  # the fee hook, as the fee code calls it
        assert paid is not None
        paid.fee_cents += 123
        rollups.funnel_fee(session, paid, 123)
        front_total = front.total_cents
    with db.session() as session:
        live = _rows(session)
        totals = list(session.scalars(select(OrderLine.total_cents)
                                      .where(OrderLine.order_id == front.id)
                                      .order_by(OrderLine.id)))  # fmt: skip
        fee_main, fee_bump = refund_shares(123, totals)  # shared by line total, tax included
        assert sum(totals) == front_total
        assert fee_main > fee_bump > 0
        main = [r for r in live if r[:4] == (7, 3, "a", "main")]
        assert [(r[5], r[6], r[7], r[9]) for r in main] == [(DAY1.date(), 1, 2900, fee_main)]
        bump = [r for r in live if r[:4] == (7, 3, "a", "bump")]
        assert [(r[6], r[7], r[9]) for r in bump] == [(1, 900, fee_bump)]
        refunded = [r for r in live if r[:4] == (7, 3, "b", "main")]
        assert [(r[6], r[7], r[8]) for r in refunded] == [(1, 2900, 2900)]
        assert [(r[3], r[5], r[8]) for r in live if r[1] in (4, 5)] == [
            ("upsell", DAY2.date(), 500 * 2900 // 3451),
            ("downsell", DAY2.date(), 588),
        ]  # refunds less their 19 % tax: 29.00 of 34.51
        assert sum(r[6] for r in live) == 2 + 1 + 1 + 1 + 2  # paid lines; the unpaid order: none
        assert rollups.rebuild(session, 7) == len([r for r in live if r[0] == 7]) == 5
    with db.session() as session:
        assert _rows(session) == live  # rebuilding one funnel leaves the others and agrees
        rollups.rebuild(session)
    with db.session() as session:
        assert _rows(session) == live


def test_sixty_four_concurrent_payers_of_one_funnel_add_up_exactly(db: Database) -> None:
    with db.session() as session:
        make_shop(session)
        ids = [_start(session, country="").id for _n in range(64)]

    def pay(order_id: int) -> bool:
        # Every payment of the funnel's day adds to the same rollup rows, so the 64 go one
        # after another; on a loaded machine the last may wait past the lock timeout, which a
        # request answers 503 with Retry-After: sent again, as its caller would.
        for _try in range(5):
            try:
                with db.session() as session:
                    return service.mark_manual_paid(session, order_id, SECRET, DAY1).newly_paid
            except Exception as exc:  # only "busy" is tried again
                if not is_busy(exc):
                    raise
        raise AssertionError(f"order {order_id} was still busy after five tries")

    with ThreadPoolExecutor(max_workers=64) as pool:
        assert sum(pool.map(pay, ids + ids)) == 64  # each twice: paid once
    with db.session() as session:
        live = _rows(session)
        assert [(r[3], r[6], r[7]) for r in live] == [("bump", 64, 64 * 900),
                                                     ("main", 64, 64 * 2900)]  # fmt: skip
        rollups.rebuild(session)
    with db.session() as session:
        assert _rows(session) == live


def test_the_report_query_reads_summed_days(db: Database) -> None:
    with db.session() as session:
        make_shop(session)
        for when in (DAY1, DAY1 + timedelta(hours=5), DAY2):
            _pay(session, _start(session, country=""), when)
    with db.session(writer=False) as session:
        since = datetime.combine(DAY1.date(), datetime.min.time(), UTC)
        sales = queries.funnel_sales(session, 7, since, since + timedelta(days=1))
        assert [(s.role, s.orders, s.amount_net, s.day) for s in sales] == [
            ("main", 2, 5800, DAY1.date()), ("bump", 2, 1800, DAY1.date()),
        ]  # fmt: skip
        late = queries.funnel_sales(session, 7, since, DAY2)  # a partial last day counts whole
        assert sum(s.orders for s in late) == 6
        assert queries.funnel_sales(session, 8, since, DAY2) == []


def test_a_rebuild_while_a_payment_opens_a_new_day_ends_equal_to_the_orders(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rebuild is paused after it cleared the old rows while an order is paid on a day with
    no row yet: on PostgreSQL the payment inserted that day's row, and the rebuild, reading the
    order as paid, failed on the key with its own insert of it. Now the payment waits for the
    rebuild and adds to what it wrote, on either database."""
    with db.session() as session:
        make_shop(session)
        _pay(session, _start(session, country=""), DAY1)
        later = _start(session, country="").id

    def pay(session: Session) -> object:
        return service.mark_manual_paid(session, later, SECRET, DAY2).newly_paid

    first, second = race(
        db, monkeypatch, lambda session: rollups.rebuild(session), pay,
        pause_at=(rollups, "_clear"), pause_after=True,
    )  # fmt: skip
    assert first[1] is None, first[1]
    assert second == (True, None)
    with db.session() as session:
        live = _rows(session)
        assert sorted((r[3], r[5], r[6]) for r in live) == [
            ("bump", DAY1.date(), 1), ("bump", DAY2.date(), 1),
            ("main", DAY1.date(), 1), ("main", DAY2.date(), 1),
        ]  # fmt: skip
        rollups.rebuild(session)
    with db.session() as session:
        assert _rows(session) == live
