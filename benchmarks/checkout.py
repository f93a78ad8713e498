"""Checkout's hot paths, one subcommand each (`webhooks` now; a `catalog` part may join it).

    .venv/bin/python benchmarks/checkout.py webhooks [--orders 200] [--replays 2000]
        [--postgres URL] [--workers 1]

`webhooks`: opens `--orders` Stripe orders on a fresh database (SQLite in a temp folder, or a
new PostgreSQL database), then posts every order's signed `payment_intent.succeeded` event and
`--replays` more deliveries of random ones (duplicates, in random order) through
`service.receive_webhook`, the function the webhook route calls, one unit of work per delivery,
from `--workers` threads. Prints deliveries per second and, as the reference measured in the
same run, the same number of one-row units of work that insert the same rows into a bare table
(a replay refused by its unique key). Checks exactly one paid order, one inbox row, one ledger
entry and one partner conversion per order. `--replays 1000000` is the issue's figure. Never
asserts on time.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from common import drop_database, fresh_database
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.exc import IntegrityError

from evergreen.commerce import service
from evergreen.commerce.models import InboxEvent, Order
from evergreen.commerce.payments import Payment, StripeProvider
from evergreen.commerce.rules.payments import PaymentStatus
from evergreen.db import Database
from evergreen.ledger.models import JournalEntry
from evergreen.partners import service as partners
from evergreen.partners.models import Conversion
from evergreen.signatures import sign

SECRET = "bench-secret-0123456789abcdef0123456789"
HOOK_SECRET = "whsec_bench"


class _Provider(StripeProvider):
    """Stripe's webhook verification as is; payments opened without a network."""

    def create_payment(
        self,
        amount: int,
        currency: str,
        metadata: dict[str, str],
        idempotency_key: str,
        customer: str | None = None,
    ) -> Payment:
        number = metadata["order"]
        return Payment(f"pi_{number}", PaymentStatus.PENDING, amount, currency.lower(),
                       client_secret=f"pi_{number}_secret_x", metadata=metadata)  # fmt: skip


def _shop(db: Database, provider: _Provider, orders: int) -> list[tuple[str, str]]:
    """A product on sale, a partner program, and `orders` pending orders: (number, intent)."""
    now = datetime.now(UTC)
    with db.session() as session:
        row = service.add_product(session, service.ProductDraft("Book", "digital"))
        service.add_price(session, row.id, service.PriceDraft("EUR", "29.00"))
        service.set_status(session, row.id, "active")
        program = partners.default_program(session, "EUR")
        terms = partners.TermsDraft(kind="percent", rate=Decimal(20),
                                    effective_from=now - timedelta(days=1))  # fmt: skip
        partners.add_terms(session, program, terms)
    made = []
    with db.session() as session:
        for i in range(orders):
            data = service.CheckoutInput(slug="book", currency="EUR", email=f"b{i}@example.com",
                                         nonce=f"bench-nonce-{i:08d}")  # fmt: skip
            order = service.start_checkout(session, provider, data, now).order
            assert order.payment_id is not None
            made.append((order.number, order.payment_id))
    return made


def _events(made: list[tuple[str, str]], replays: int, seed: int = 7) -> list[tuple[bytes, str]]:
    """Each order's success once, then `replays` random repeats, all shuffled; signed now."""
    now = int(time.time())
    signed = []
    for number, intent in made:
        body = {"id": f"evt_{number}", "object": "event", "type": "payment_intent.succeeded",
                "data": {"object": {"object": "payment_intent", "id": intent, "amount": 2900,
                                    "currency": "eur", "metadata": {"order": number}}}}  # fmt: skip
        payload = json.dumps(body).encode()
        signed.append((payload, sign(HOOK_SECRET, now, payload)))
    rng = random.Random(seed)
    deliveries = signed + [rng.choice(signed) for _ in range(replays)]
    rng.shuffle(deliveries)
    return deliveries


def _timed(work: Any, items: list[Any], workers: int) -> float:
    start = time.perf_counter()
    if workers <= 1:
        for item in items:
            work(item)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(work, items))
    return time.perf_counter() - start


def _reference(db: Database, deliveries: list[tuple[bytes, str]], workers: int) -> float:
    """The same deliveries as one-row INSERTs into a bare table with a unique event id."""
    table = Table(
        "bench_bare_events", MetaData(), Column("id", Integer, primary_key=True),
        Column("event_id", String(255), unique=True), Column("payload", String),
    )  # fmt: skip
    table.create(db.engine)
    rows = [(json.loads(p)["id"], p.decode()) for p, _h in deliveries]

    def one(row: tuple[str, str]) -> None:
        try:
            with db.session() as session:
                session.execute(insert(table).values(event_id=row[0], payload=row[1]))
        except IntegrityError:
            pass

    return _timed(one, rows, workers)


def webhooks(args: argparse.Namespace) -> None:
    """Deliveries per second through receive_webhook, replays absorbed, against a bare INSERT."""
    folder = Path(tempfile.mkdtemp(prefix="evergreen-bench-checkout-"))
    db = fresh_database(args.postgres, folder, "evergreen_bench_checkout")
    provider = _Provider("sk_test_bench", HOOK_SECRET)
    try:
        made = _shop(db, provider, args.orders)
        deliveries = _events(made, args.replays)

        def deliver(item: tuple[bytes, str]) -> None:
            with db.session() as session:
                service.receive_webhook(session, provider, item[0], item[1], SECRET,
                                        datetime.now(UTC))  # fmt: skip

        took = _timed(deliver, deliveries, args.workers)
        bare = _reference(db, deliveries, args.workers)
        with db.session(writer=False) as session:
            paid = session.scalar(select(func.count()).where(Order.status == "paid"))
            inbox = session.scalar(select(func.count()).select_from(InboxEvent))
            commerce = JournalEntry.source == "commerce"
            entries = session.scalar(select(func.count()).select_from(JournalEntry).where(commerce))
            sales = session.scalar(select(func.count()).select_from(Conversion))
        n = len(deliveries)
        print(f"database: {db.engine.dialect.name}, workers: {args.workers}")
        print(f"orders: {args.orders}, deliveries: {n} ({args.replays} replays)")
        print(f"webhooks: {took:.2f} s, {n / took:,.0f} deliveries/s")
        print(f"reference (bare one-row INSERT per delivery): {bare:.2f} s, {n / bare:,.0f}/s")
        print(f"webhook cost: {took / bare:.1f} x the bare insert")
        print(f"paid orders {paid}, inbox rows {inbox}, ledger entries {entries}, "
              f"partner conversions {sales} (each should be {args.orders})")  # fmt: skip
        ok = paid == inbox == entries == sales == args.orders
        print("exactly once: " + ("yes" if ok else "NO"))
    finally:
        url = db.url
        db.dispose()
        if args.postgres:
            drop_database(args.postgres, url.rsplit("/", 1)[-1])


def main() -> None:
    """Parse the subcommand and run it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parts = parser.add_subparsers(dest="part", required=True)
    hooks = parts.add_parser("webhooks", help="payment webhooks per second, replays absorbed")
    hooks.add_argument("--orders", type=int, default=200)
    hooks.add_argument("--replays", type=int, default=2000)
    hooks.add_argument("--workers", type=int, default=1)
    hooks.add_argument("--postgres", default=None, help="a PostgreSQL server URL")
    hooks.set_defaults(run=webhooks)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
