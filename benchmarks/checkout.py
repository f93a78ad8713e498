"""Checkout's hot paths, one subcommand each (`webhooks` now; a `catalog` part may join it).

    .venv/bin/python benchmarks/checkout.py webhooks [--orders 200] [--replays 2000]
        [--workers 1] [--http-orders 50] [--http-replays 2000] [--reference 5000]
        [--postgres URL]

`webhooks`: opens Stripe orders on a fresh database (SQLite in a temp folder, or a new
PostgreSQL database), then, from `--workers` threads, the path the webhook route takes
(verify the signature, look the event up in the inbox with a reader, record and apply an unseen
one in a writer unit of work):
  1. first deliveries: every order's signed `payment_intent.succeeded`, once, shuffled;
  2. replays: `--replays` deliveries of random ones of them, in batches signed afresh (Stripe's
     signature is valid for minutes), with progress; `--replays 1000000` is the issue's figure.
Then the same through the real app (`POST /commerce/webhooks/stripe`, an in-process ASGI client,
`--workers` requests in flight): `--http-orders` more orders' first deliveries, then
`--http-replays` replays in batches signed afresh (answered by the webhook front door: from the
inbox, then from the process's memory of events applied), then `--reference` deliveries with a
refused signature (the routed path). References, measured in the same run: `--reference` one-row
INSERT units of work into a bare table with a unique event id (what a first delivery's commit
costs at least), as many indexed SELECTs by event id in reader sessions (what a replay costs at
least from the database), and as many posts by the same client to a bare ASGI app that answers
200 (the floor of anything measured through that client). Prints deliveries/s per phase and
checks exactly one paid order, one inbox row, one ledger entry and one partner conversion per
order. Never asserts on time.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
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
_KEY = "sk_test_bench"
HOOK_SECRET = "whsec_bench"
URL_PATH = "/commerce/webhooks/stripe"


class _Provider(StripeProvider):
    """Stripe's webhook verification as is; payments opened without a network."""

    def create_payment(
        self,
        amount: int,
        currency: str,
        metadata: dict[str, str],
        idempotency_key: str,
        customer: str | None = None,
        save_method: bool = False,
        **_more: object,
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


def _payload(number: str, intent: str) -> bytes:
    body = {"id": f"evt_{number}", "object": "event", "type": "payment_intent.succeeded",
            "data": {"object": {"object": "payment_intent", "id": intent, "amount": 2900,
                                "currency": "eur", "metadata": {"order": number}}}}  # fmt: skip
    return json.dumps(body).encode()


def _signed(payloads: list[bytes]) -> list[_Delivery]:
    """Each payload with a Stripe-Signature made now (a signature is valid for minutes)."""
    now = int(time.time())
    return [(payload, sign(HOOK_SECRET, now, payload)) for payload in payloads]


_Delivery = tuple[bytes, str]


def _replay_batches(payloads: list[bytes], replays: int, batch: int) -> Iterator[list[_Delivery]]:
    """`replays` random repeats of the payloads, `batch` at a time, each batch signed afresh."""
    rng = random.Random(7)
    for start in range(0, replays, batch):
        signed = _signed(payloads)
        yield [rng.choice(signed) for _ in range(min(batch, replays - start))]


class _Path:
    """What the webhook route does, without HTTP: verify, read the inbox, write only if new."""

    def __init__(self, db: Database, provider: StripeProvider) -> None:
        self.db, self.provider = db, provider
        self.writers = 0  # deliveries that opened a writer unit of work
        self._lock = threading.Lock()

    def __call__(self, item: _Delivery) -> None:
        now = datetime.now(UTC)
        event = self.provider.parse_webhook(item[0], item[1], now)
        with self.db.session(writer=False) as session:
            if service.replayed_webhook(session, self.provider, event) is not None:
                return
        with self._lock:  # only ever first deliveries (and replays racing them)
            self.writers += 1
        with self.db.session() as session:
            service.apply_webhook(session, self.provider, event, SECRET, now)


def _run(work: Callable[[Any], Any], items: Iterable[Any], pool: ThreadPoolExecutor | None) -> int:
    if pool is None:
        return sum(1 for item in items if work(item) or True)
    return sum(1 for _ in pool.map(work, items))


def _timed(work: Callable[[Any], Any], items: Iterable[Any], workers: int) -> tuple[int, float]:
    start = time.perf_counter()
    if workers <= 1:
        done = _run(work, items, None)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            done = _run(work, items, pool)
    return done, time.perf_counter() - start


def _replays(path: _Path, payloads: list[bytes], args: argparse.Namespace) -> float:
    """Replays in batches, one line of progress each; returns the seconds they took."""
    took, done = 0.0, 0
    pool = ThreadPoolExecutor(max_workers=args.workers) if args.workers > 1 else None
    try:
        for chunk in _replay_batches(payloads, args.replays, args.batch):
            start = time.perf_counter()
            done += _run(path, chunk, pool)
            took += time.perf_counter() - start
            if args.replays > args.batch:
                print(f"  replays {done:,}/{args.replays:,}: {done / took:,.0f}/s", flush=True)
    finally:
        if pool is not None:
            pool.shutdown()
    return took


def _references(db: Database, count: int, workers: int) -> tuple[float, float]:
    """Seconds for `count` one-row INSERT units of work into a bare table with a unique event
    id, and for `count` indexed SELECTs by event id in reader sessions."""
    table = Table(
        "bench_bare_events", MetaData(), Column("id", Integer, primary_key=True),
        Column("event_id", String(255), unique=True), Column("payload", String),
    )  # fmt: skip
    table.create(db.engine)
    ids = [f"evt_bare_{i:08d}" for i in range(count)]

    def write(event_id: str) -> None:
        try:
            with db.session() as session:
                session.execute(insert(table).values(event_id=event_id, payload="{}"))
        except IntegrityError:
            pass

    def read(event_id: str) -> None:
        with db.session(writer=False) as session:
            session.scalar(select(table.c.id).where(table.c.event_id == event_id))

    return _timed(write, ids, workers)[1], _timed(read, ids, workers)[1]


def _http(
    db: Database, folder: Path, fresh: list[bytes], old: list[bytes], args: Any
) -> tuple[float, float, float, float, int]:
    """First deliveries of `fresh`, then `--http-replays` replays of `old + fresh`, through the
    real app's route with `--workers` requests in flight, and as many with a refused signature
    (the route's floor: no database): seconds for each, and the answers not as expected."""
    import anyio
    import httpx

    from evergreen.config import Settings
    from evergreen.web import create_app

    settings = Settings(
        env="test", data_dir=folder / "data", database_url=db.url,
        secret_key=SECRET, stripe_secret_key=_KEY, stripe_webhook_secret=HOOK_SECRET,
    )  # type: ignore[arg-type]  # fmt: skip
    app = create_app(settings, database=db, background=False)
    failed = 0

    async def phase(items: list[_Delivery]) -> float:
        nonlocal failed
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            queue = iter(items)

            async def worker() -> None:
                nonlocal failed
                for payload, header in queue:
                    answer = await http.post(
                        URL_PATH, content=payload,
                        headers={"Stripe-Signature": header},
                    )  # fmt: skip
                    failed += answer.status_code != (400 if header == "-" else 200)

            start = time.perf_counter()
            async with anyio.create_task_group() as group:
                for _ in range(max(1, args.workers)):
                    group.start_soon(worker)
            return time.perf_counter() - start

    async def both() -> tuple[float, float, float, float]:
        async with app.router.lifespan_context(app):
            first = await phase(_signed(fresh))
            took, done = 0.0, 0
            for chunk in _replay_batches(old + fresh, args.http_replays, args.batch):
                took += await phase(chunk)
                done += len(chunk)
                if args.http_replays > args.batch:
                    print(f"  HTTP replays {done:,}/{args.http_replays:,}: {done / took:,.0f}/s")
            probes = _signed(old + fresh) * (args.reference // max(1, len(old + fresh)) + 1)
            refused = await phase([(payload, "-") for payload, _h in probes[: args.reference]])
            return first, took, refused, await _bare_client(probes[: args.reference], args)

    first, replays, refused, bare = anyio.run(both)
    return first, replays, refused, bare, failed


async def _bare_client(items: list[_Delivery], args: Any) -> float:
    """Seconds for the same client to post `items` to an ASGI app that reads the body and
    answers 200 with nothing else: the floor of any route measured through this client."""
    import anyio
    import httpx

    async def bare(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    transport = httpx.ASGITransport(app=bare)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        queue = iter(items)

        async def worker() -> None:
            for payload, header in queue:
                await http.post(URL_PATH, content=payload, headers={"Stripe-Signature": header})

        start = time.perf_counter()
        async with anyio.create_task_group() as group:
            for _ in range(max(1, args.workers)):
                group.start_soon(worker)
        return time.perf_counter() - start


def _line(label: str, count: int, seconds: float, note: str = "") -> None:
    if count:
        extra = f" ({note})" if note else ""
        print(f"{label}: {count:,} in {seconds:.2f} s, {count / seconds:,.0f}/s{extra}")


def webhooks(args: argparse.Namespace) -> None:
    """Deliveries per second through the webhook path and route, first ones and replays apart,
    against a bare INSERT and a bare indexed SELECT."""
    logging.getLogger("evergreen.mail").setLevel(logging.ERROR)  # receipts: no mail set up
    folder = Path(tempfile.mkdtemp(prefix="evergreen-bench-checkout-"))
    db = fresh_database(args.postgres, folder, "evergreen_bench_checkout")
    provider = _Provider(_KEY, HOOK_SECRET)
    try:
        made = _shop(db, provider, args.orders + args.http_orders)
        payloads = [_payload(number, intent) for number, intent in made]
        rng = random.Random(3)
        rng.shuffle(payloads)
        old, fresh = payloads[: args.orders], payloads[args.orders :]
        path = _Path(db, provider)
        n_first, first = _timed(path, _signed(old), args.workers)
        writers_first = path.writers
        replays = _replays(path, old, args)
        writers_replay = path.writers - writers_first
        http = (
            _http(db, folder, fresh, old, args) if args.http_orders or args.http_replays else None
        )
        bare_insert, bare_select = _references(db, args.reference, args.workers)
        with db.session(writer=False) as session:
            paid = session.scalar(select(func.count()).where(Order.status == "paid"))
            inbox = session.scalar(select(func.count()).select_from(InboxEvent))
            commerce = JournalEntry.source == "commerce"
            entries = session.scalar(select(func.count()).select_from(JournalEntry).where(commerce))
            sales = session.scalar(select(func.count()).select_from(Conversion))
        orders = args.orders + args.http_orders
        print(f"database: {db.engine.dialect.name}, workers: {args.workers}")
        _line("service path, first deliveries", n_first, first)
        if args.replays:
            _line("service path, replays", args.replays, replays, f"{writers_replay} writers")
        if http is not None:
            h_first, h_replays, h_refused, h_bare, failed = http
            _line("HTTP route, first deliveries", args.http_orders, h_first)
            share = (args.http_replays / h_replays) / (args.reference / h_bare)
            note = f"{failed} unexpected; {share:.2f} of the client's floor"
            _line("HTTP route, replays", args.http_replays, h_replays, note)
            _line("HTTP route, refused signature (routed; no database)", args.reference, h_refused)
            _line("reference, the same client against a bare ASGI app", args.reference, h_bare)
        _line("reference, bare one-row INSERT unit of work", args.reference, bare_insert)
        _line("reference, bare indexed SELECT (reader)", args.reference, bare_select)
        print(f"paid orders {paid}, inbox rows {inbox}, ledger entries {entries}, "
              f"partner conversions {sales} (each should be {orders})")  # fmt: skip
        ok = paid == inbox == entries == sales == orders
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
    hooks.add_argument("--batch", type=int, default=20_000, help="replays per signed batch")
    hooks.add_argument("--http-orders", type=int, default=50)
    hooks.add_argument("--http-replays", type=int, default=2000)
    hooks.add_argument("--reference", type=int, default=2000, help="bare INSERTs and SELECTs")
    hooks.add_argument("--postgres", default=None, help="a PostgreSQL server URL")
    hooks.set_defaults(run=webhooks)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
