"""Attribution + commission for conversions against many clicks, and duplicate replays.

    .venv/bin/python benchmarks/commissions.py [--clicks 10000000] [--conversions 20000]

Loads N clicks (1,000 links owned by 100 partners) with the driver's executemany, then records
conversions that each carry one of those click IDs through `record_conversion` (attribution,
locked terms, commission, fraud checks, webhook queueing), then replays them as duplicates.
Prints events per second; the reference is a bare primary-key lookup of the same click IDs in
the same run. Never asserts on time.
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

from evergreen import migrate
from evergreen.db import Database
from evergreen.links import service as links
from evergreen.links.drafts import LinkDraft
from evergreen.partners import service
from evergreen.partners.conversions import ConversionIn, record_conversion
from evergreen.partners.models import Program
from evergreen.partners.rules import EventType

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0"


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
    with db.engine.begin() as conn:
        for start in range(0, count, 100_000):
            rows = [
                (f"{i:032x}", link_ids[i % len(link_ids)], text, f"v{i % 500_000}", UA)
                for i in range(start, min(start + 100_000, count))
            ]
            conn.exec_driver_sql(sql, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=10_000_000)
    parser.add_argument("--conversions", type=int, default=20_000)
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
        occurred = datetime.now(UTC)
        events = [
            ConversionIn(
                idempotency_key=f"order-{n}", event=EventType.SALE, amount=Decimal("49.00"),
                currency="USD", customer_id=f"cus-{n}", occurred_at=occurred,
                order_id=f"order-{n}", click_id=f"{pick:032x}",
            )
            for n, pick in enumerate(picks)
        ]  # fmt: skip
        with db.session() as session:
            program_id = service.default_program(session).id

        def run(batch: list[ConversionIn]) -> float:
            """One unit of work per event, as the API does (a request, a transaction)."""
            t0 = time.perf_counter()
            for event in batch:
                with db.session() as session:
                    program = session.get(Program, program_id)
                    assert program is not None
                    record_conversion(session, program, event, actor="bench")
            return time.perf_counter() - t0

        fresh = run(events)
        replay = run(events)
        with db.engine.connect() as conn:
            t0 = time.perf_counter()
            for pick in picks:
                conn.exec_driver_sql(
                    "SELECT link_id FROM clicks WHERE click_id = ?", (f"{pick:032x}",)
                ).fetchone()
            lookup = time.perf_counter() - t0
        n = args.conversions
        print(f"conversions attributed + commissioned: {n / fresh:,.0f}/s (goal >= 5,000)")
        print(f"duplicate replays absorbed:            {n / replay:,.0f}/s (goal >= the above)")
        print(f"reference, bare click-ID lookups:      {n / lookup:,.0f}/s")
        db.dispose()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
