"""Attribution + commission for conversions against many clicks, in batches, and duplicate replays.

    .venv/bin/python benchmarks/commissions.py [--clicks 10000000] [--conversions 100000]
        [--replays 1000000] [--single 2000]

Loads N clicks (1,000 links owned by 100 partners) with the driver's executemany, then records
conversions that each carry one of those click IDs through `record_conversions` in batches of
1,000, one transaction each (attribution, locked terms, commission, fraud checks, history,
webhook queueing), then replays them as duplicates through the same path. The references are
measured in the same run: the single-event path (`record_conversion`, one transaction per
event, as the single API route does) on a smaller sample, and a bare lookup of the same click
IDs. Prints events per second; never asserts on time.
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from evergreen import migrate
from evergreen.db import Database
from evergreen.links import service as links
from evergreen.links.drafts import LinkDraft
from evergreen.partners import service
from evergreen.partners.models import Commission, Program
from evergreen.partners.rules import EventType
from evergreen.partners.service.conversions import ConversionIn, record_conversion
from evergreen.partners.service.conversions_batch import record_conversions

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0"
BATCH = 1_000


def setup(db: Database) -> list[int]:
    """A program with terms, 100 active partners each owning 10 links; returns link ids."""
    with db.session() as session:
        program = service.default_program(session)
        start = datetime.now(UTC) - timedelta(days=400)
        service.add_terms(
            session,
            program,
            service.TermsDraft(kind="percent", rate=Decimal("30"), effective_from=start),
        )
        ids = []
        for p in range(100):
            partner = service.create_partner(
                session, program, name=f"P{p}", email=f"p{p}@example.com", status="active"
            )
            for n in range(10):
                link = links.create_link(
                    session,
                    LinkDraft(destination=f"https://shop.example/{p}/{n}", slug=f"p{p}-{n}"),
                ).link
                service.assign_link(session, partner, link.slug)
                ids.append(link.id)
        return ids


def load_clicks(db: Database, link_ids: list[int], count: int) -> None:
    """Insert `count` clicks directly (the ingester's own speed is benchmarks/clicks.py)."""
    now = datetime.now(UTC) - timedelta(days=1)
    text = now.strftime("%Y-%m-%d %H:%M:%S.%f")
    sql = (
        "INSERT INTO clicks (click_id, link_id, at, method, visitor, user_agent, referrer, "
        'referrer_host, country, device, os, browser, sub, "class", reason, is_unique, '
        "destination) "
        "VALUES (?, ?, ?, 'GET', ?, ?, '', '', 'US', 'desktop', 'Linux', 'Chrome', '{}', 'human', "
        "'counted', 1, '')"
    )
    links = len(link_ids)
    with db.engine.begin() as conn:
        for start in range(0, count, 100_000):
            rows = [
                (f"{i:032x}", link_ids[i % links], text, f"v{i % 500_000}", UA)
                for i in range(start, min(start + 100_000, count))
            ]
            conn.exec_driver_sql(sql, rows)


def sales(picks: list[int], prefix: str) -> list[ConversionIn]:
    """One sale per pick, each by a new customer, carrying the picked click's ID."""
    occurred = datetime.now(UTC)
    return [
        ConversionIn(
            idempotency_key=f"{prefix}-{n}", event=EventType.SALE, amount=Decimal("49.00"),
            currency="USD", customer_id=f"{prefix}-cus-{n}", occurred_at=occurred,
            order_id=f"{prefix}-{n}", click_id=f"{pick:032x}",
        )
        for n, pick in enumerate(picks)
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=10_000_000)
    parser.add_argument("--conversions", type=int, default=100_000)
    parser.add_argument("--replays", type=int, default=1_000_000)
    parser.add_argument("--single", type=int, default=2_000, help="events for the reference")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="evergreen-commissions-"))
    try:
        url = f"sqlite:///{folder / 'bench.db'}"
        migrate.upgrade(url)
        db = Database(url)
        link_ids = setup(db)
        started = time.perf_counter()
        load_clicks(db, link_ids, args.clicks)
        print(f"loaded {args.clicks:,} clicks in {time.perf_counter() - started:.1f} s")
        rng = random.Random(5)
        picks = [rng.randrange(args.clicks) for _ in range(args.conversions)]
        events = sales(picks, "order")
        with db.session() as session:
            program_id = service.default_program(session).id

        def batched(events: list[ConversionIn]) -> float:
            """One transaction per batch of 1,000, as the batch API route does."""
            t0 = time.perf_counter()
            for start in range(0, len(events), BATCH):
                with db.session() as session:
                    program = session.get_one(Program, program_id)
                    record_conversions(
                        session, program, events[start : start + BATCH], actor="bench"
                    )
            return time.perf_counter() - t0

        def one_by_one(events: list[ConversionIn]) -> float:
            """One transaction per event, as the single API route does."""
            t0 = time.perf_counter()
            for event in events:
                with db.session() as session:
                    program = session.get_one(Program, program_id)
                    record_conversion(session, program, event, actor="bench")
            return time.perf_counter() - t0

        fresh = batched(events)
        with db.session() as session:
            commissions = session.scalar(select(func.count()).select_from(Commission))
        passes, rest = divmod(args.replays, len(events))
        replay = sum(batched(events) for _ in range(passes)) + batched(events[:rest])
        with db.session() as session:
            unchanged = session.scalar(select(func.count()).select_from(Commission))
        sample = [rng.randrange(args.clicks) for _ in range(args.single)]
        single = one_by_one(sales(sample, "single"))
        with db.engine.connect() as conn:
            t0 = time.perf_counter()
            for pick in picks:
                conn.exec_driver_sql(
                    "SELECT link_id FROM clicks WHERE click_id = ?", (f"{pick:032x}",)
                ).fetchone()
            lookup = time.perf_counter() - t0
        n = args.conversions
        print(f"commissions created: {commissions:,} (after the replays: {unchanged:,})")
        for label, rate, goal in (
            (f"conversions attributed + commissioned, batches of {BATCH:,}", n / fresh, "5,000"),
            (f"duplicate replays absorbed, {args.replays:,} in batches", args.replays / replay,
             "the above"),
            (f"reference, single-event path, {args.single:,} one by one", args.single / single, ""),
            ("reference, bare click-ID lookups", n / lookup, ""),
        ):  # fmt: skip
            print(f"{label + ':':<58}{rate:>8,.0f}/s" + (f"  (goal >= {goal})" if goal else ""))
        db.dispose()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
