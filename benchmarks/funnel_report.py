"""The funnel report over a million paid orders, read from the daily sales rollup.

    .venv/bin/python benchmarks/funnel_report.py [--orders N] [--old-sample N] [--postgres URL]

1. On a fresh database (SQLite in a temp folder; PostgreSQL too when --postgres or
   EVERGREEN_TEST_POSTGRES_URL names a server: a new database, dropped afterwards), builds one
   funnel (order form with variants A and B and a bump, an upsell, a downsell, a thank-you),
   then stores `--orders` paid orders over one year with bare executemany INSERTs: 70 % front
   end (a third with the bump), 20 % upsells, 10 % downsells; 19 % tax on a fifth, 5 % part
   refunds and 3 % full refunds, a card fee on each. The rollup is filled by
   `rollups.rebuild` (timed: what `evergreen commerce rollups rebuild` does after the migration).
2. Times `funnels.queries.report` for the last 30 and 365 days, warm: the best of four runs
   (the first warms the caches); then the old path (every order and line of the period loaded,
   shared line by line, as before the rollup) as the reference, timed once, on the last days
   holding at most `--old-sample` orders when the period holds more (it says so), and checks
   that both give the same figures.
Target: < 500 ms. Prints figures; never asserts on time.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from common import drop_database, fresh_database
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from evergreen.commerce import queries as commerce_queries
from evergreen.commerce import service as commerce
from evergreen.commerce.models import Order, OrderLine
from evergreen.commerce.queries import FunnelSale
from evergreen.commerce.rules.funnel_rollup import line_figures
from evergreen.commerce.service import rollups
from evergreen.db import Database
from evergreen.funnels import queries as funnel_queries
from evergreen.funnels import service as funnels

LAST = date(2025, 12, 31)
FIRST = LAST - timedelta(days=364)


def _funnel(db: Database) -> tuple[int, dict[str, int], list[int]]:
    """The funnel, its step ids by kind, and the products (course, workbook, coaching, mini)."""
    with db.session() as session:
        products = [
            commerce.add_product(session, commerce.ProductDraft(name, "digital")).id
            for name in ("Course", "Workbook", "Coaching", "Mini")
        ]
        funnel = funnels.add_funnel(session, funnels.FunnelDraft("Launch", "launch", "live"))
        order = funnels.add_step(
            session,
            funnel.id,
            funnels.StepDraft(
                "order", "Order", "order", product_id=products[0], bump_product_id=products[1]
            ),
        )
        funnels.add_variant(session, funnel.id, order.id, funnels.VariantDraft("B"))
        upsell = funnels.add_step(
            session,
            funnel.id,
            funnels.StepDraft("upsell", "Coaching", "coaching", product_id=products[2]),
        )
        downsell = funnels.add_step(
            session,
            funnel.id,
            funnels.StepDraft("downsell", "Mini", "mini", product_id=products[3]),
        )
        funnels.add_step(session, funnel.id, funnels.StepDraft("thankyou", "Thanks"))
        steps = {"main": order.id, "upsell": upsell.id, "downsell": downsell.id}
        return funnel.id, steps, products  # fmt: skip


def fill(db: Database, count: int, seed: int = 7) -> int:
    """`count` paid orders of one funnel over a year with their lines; the funnel's id."""
    rng = random.Random(seed)
    funnel_id, steps, products = _funnel(db)
    start = datetime.combine(FIRST, datetime.min.time(), UTC)
    batch = 20_000
    for first in range(1, count + 1, batch):
        orders, lines = [], []
        for n in range(first, min(first + batch, count + 1)):
            roll = rng.random()
            role = "main" if roll < 0.7 else "upsell" if roll < 0.9 else "downsell"
            items = [(role, {"main": 4900, "upsell": 19700, "downsell": 4700}[role])]
            if role == "main" and rng.random() < 1 / 3:
                items.append(("bump", 1900))
            taxed = rng.random() < 0.2
            rows = [(r, cents, cents * 19 // 100 if taxed else 0) for r, cents in items]
            total = sum(c + t for _r, c, t in rows)
            refund = rng.random()
            refunded = total if refund < 0.03 else total // 2 if refund < 0.08 else 0
            paid = start + timedelta(seconds=rng.randrange(0, 365 * 86400))
            status = ("refunded" if refunded == total else
                      "partially_refunded" if refunded else "paid")  # fmt: skip
            orders.append({
                "id": n, "number": f"F{n}", "status": status, "currency": "EUR",
                "subtotal_cents": sum(c for _r, c, _t in rows), "discount_cents": 0,
                "tax_cents": sum(t for _r, _c, t in rows), "total_cents": total,
                "refunded_cents": refunded, "fee_cents": total * 29 // 1000 + 25,
                "buyer_email": f"b{n}@example.com", "buyer_name": "", "buyer_country": "",
                "buyer_region": "", "provider": "stripe", "payment_id": f"pi_{n}",
                "checkout_key": f"bench-{n}", "coupon_code": "", "click_id": "",
                "funnel_id": funnel_id, "step_id": steps[role],
                "variant": rng.choice("AB") if role == "main" else None,
                "created_at": paid, "paid_at": paid,
            })  # fmt: skip
            product = {"main": 0, "bump": 1, "upsell": 2, "downsell": 3}
            lines.extend({
                "order_id": n, "product_id": products[product[r]], "product_name": r,
                "role": r, "quantity": 1, "unit_cents": c, "discount_cents": 0,
                "tax_cents": t, "total_cents": c + t,
            } for r, c, t in rows)  # fmt: skip
        with db.session() as session:
            session.execute(insert(Order), orders)
            session.execute(insert(OrderLine), lines)
    with db.session() as session:
        t0 = time.perf_counter()
        rows = rollups.rebuild(session)
        took = time.perf_counter() - t0
        n_lines = session.scalar(select(func.count()).select_from(OrderLine))
    print(f"  stored {count:,} orders, {n_lines:,} lines; rebuilt the rollup: {rows:,} rows "
          f"in {took:.1f} s")  # fmt: skip
    return funnel_id


def old_funnel_sales(
    session: Session, funnel_id: int, start: datetime, end: datetime
) -> list[FunnelSale]:
    """The path before the rollup: every paid order and line of the period, as ORM objects."""
    orders = session.scalars(
        select(Order)
        .where(Order.funnel_id == funnel_id, Order.paid_at >= start, Order.paid_at < end)
        .order_by(Order.paid_at, Order.id)
    ).all()
    by_order: dict[int, list[OrderLine]] = {}
    ids = [o.id for o in orders]
    for chunk in range(0, len(ids), 30_000):  # SQLite's bound-parameter limit
        for line in session.scalars(
            select(OrderLine).where(OrderLine.order_id.in_(ids[chunk : chunk + 30_000]))
        ):
            by_order.setdefault(line.order_id, []).append(line)
    sales = []
    for order in orders:
        lines = sorted(by_order.get(order.id, []), key=lambda line: line.id)
        shape = [(line.total_cents, line.tax_cents) for line in lines]
        figures = line_figures(shape, order.refunded_cents, order.fee_cents)
        for line, fig in zip(lines, figures, strict=True):
            assert order.paid_at is not None
            sales.append(FunnelSale(line.role, fig.net, fig.refunded, fig.fee,
                                    order.paid_at.date(), order.step_id or 0,
                                    order.variant or "", order.currency, 1))  # fmt: skip
    return sales


def _report(funnel_id: int, first: date) -> Callable[[Session], Any]:
    """The report of the days from `first` to LAST, to be timed."""
    return lambda session: funnel_queries.report(session, funnel_id, first, LAST)


def _best(db: Database, runs: int, work: Callable[[Session], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(runs):
        with db.session(writer=False) as session:
            t0 = time.perf_counter()
            result = work(session)
            best = min(best, time.perf_counter() - t0)
    return best, result


def _orders_in(db: Database, funnel_id: int, first: date) -> int:
    with db.session(writer=False) as session:
        since = datetime.combine(first, datetime.min.time(), UTC)
        query = select(func.count()).where(Order.funnel_id == funnel_id, Order.paid_at >= since)
        return int(session.scalar(query) or 0)


def measure(db: Database, funnel_id: int, label: str, sample: int) -> None:
    """The report from the rollup for 30 and 365 days (warm, best of four), then the old path."""
    print(f"{label}:")
    for days in (30, 365):
        first = LAST - timedelta(days=days - 1)
        took, found = _best(db, 4, _report(funnel_id, first))
        total = found.total
        print(f"  rollup  {days:3} days: {took * 1000:8.1f} ms  ({total.front_end_orders:,} "
              f"front-end orders, net {total.net_revenue}, ratio {total.liquidation_ratio}, "
              f"bump take {total.bump_take_rate})")  # fmt: skip
        old_first, note = first, ""
        while _orders_in(db, funnel_id, old_first) > sample and old_first < LAST:
            old_first += timedelta(days=max(1, (LAST - old_first).days // 4))
            note = f" (sample: the last {(LAST - old_first).days + 1} days)"
        new = funnel_queries.report_dict(_best(db, 1, _report(funnel_id, old_first))[1])
        original = commerce_queries.funnel_sales
        funnel_queries.commerce_queries.funnel_sales = old_funnel_sales  # type: ignore[misc]
        try:
            took, found = _best(db, 1, _report(funnel_id, old_first))
        finally:
            funnel_queries.commerce_queries.funnel_sales = original  # type: ignore[misc]
        same = _same(funnel_queries.report_dict(found), new)
        orders = _orders_in(db, funnel_id, old_first)
        print(f"  old     {days:3} days: {took * 1000:8.1f} ms over {orders:,} orders{note}; "
              f"figures equal: {same}")  # fmt: skip


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether two reports' figures agree as numbers (sums may print 21.0 where lines say 21)."""
    from decimal import Decimal

    def norm(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: norm(v) for k, v in value.items()}
        if isinstance(value, list):
            return [norm(v) for v in value]
        if isinstance(value, str):
            try:
                return Decimal(value)
            except ArithmeticError:
                return value
        return value

    return bool(norm(a) == norm(b))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--old-sample", type=int, default=100_000)
    parser.add_argument("--postgres", default=os.environ.get("EVERGREEN_TEST_POSTGRES_URL"))
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = fresh_database(None, Path(folder))
        funnel_id = fill(db, args.orders)
        measure(db, funnel_id, "SQLite", args.old_sample)
        db.dispose()
    if args.postgres and not args.sqlite_only:
        db = fresh_database(args.postgres, Path("."), "evergreen_bench_funnel")
        try:
            funnel_id = fill(db, args.orders)
            measure(db, funnel_id, "PostgreSQL", args.old_sample)
        finally:
            name = db.engine.url.database
            db.dispose()
            if name:
                drop_database(args.postgres, name)


if __name__ == "__main__":
    main()
