"""The ledger at size: posting throughput, and the home page's and a stream's figures over
millions of postings.

    .venv/bin/python benchmarks/ledger.py [--postings 10000000] [--postgres URL]

1. Posts `--postings` journal postings (two per transaction: income or a cost against the
   bank, a few capital movements and equipment bought or sold) over 50 streams and 3 years
   through the real posting service (`post_many`, batches of 5,000 transactions), and prints
   postings per second. Reference in the same run: a bare executemany of rows of the same
   shape into a plain table.
2. Checks the rollups the posting service kept equal a full recomputation from the postings.
3. Times the home page's figures (`queries.report` for all 50 streams, plus 12-month trends
   via `queries.histories`) for random months, and one stream's 36-month history.
Never asserts on time.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from common import drop_database, fresh_database, rollups_match
from sqlalchemy import text

from evergreen.db import Database
from evergreen.ledger import queries, service
from evergreen.ledger.rules import BANK, CAPITAL, Leg, Rates, StreamKind

STREAMS = 50
FIRST_DAY = date(2023, 1, 1)
DAYS = 3 * 365
BATCH = 5_000
RATES = Rates(Decimal(40), Decimal("0.08"))
EQUIPMENT = "Assets:Equipment"


def drafts(rng: random.Random, stream_ids: list[int], count: int) -> list[service.EntryDraft]:
    """`count` transactions of two postings on random days and streams."""
    out = []
    for _ in range(count):
        stream = rng.choice(stream_ids)
        day = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
        amount = Decimal(rng.randrange(100, 50_000)) / 100
        roll = rng.random()
        if roll < 0.7:
            legs = [Leg(BANK, amount, "USD", stream), Leg("Income:Sales", -amount, "USD", stream)]
        elif roll < 0.99:
            legs = [Leg("Expenses:Fees", amount, "USD", stream), Leg(BANK, -amount, "USD", stream)]
        elif roll < 0.995:  # equipment bought (or sold back): capital held as an asset
            amount *= 10 if rng.random() < 0.8 else -2
            legs = [Leg(EQUIPMENT, amount, "USD", stream), Leg(BANK, -amount, "USD", stream)]
        else:
            amount *= 100 if rng.random() < 0.7 else -10
            legs = [Leg(BANK, amount, "USD", stream), Leg(CAPITAL, -amount, "USD", stream)]
        out.append(service.EntryDraft(day, legs, narration="bench"))
    return out


def bare_insert(db: Database, rows: int) -> float:
    """Reference: executemany of posting-shaped rows into a plain table; rows per second."""
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE bare_postings (transaction_id INTEGER, account TEXT, "
                "stream_id INTEGER, amount NUMERIC, currency TEXT)"
            )
        )
    mark = "?" if db.engine.dialect.name == "sqlite" else "%s"
    data = [(i // 2, BANK, i % STREAMS, "12.3400", "USD") for i in range(rows)]
    started = time.perf_counter()
    with db.engine.begin() as conn:
        for offset in range(0, rows, 20_000):
            conn.exec_driver_sql(
                f"INSERT INTO bare_postings VALUES ({', '.join([mark] * 5)})",
                data[offset : offset + 20_000],
            )
    return rows / (time.perf_counter() - started)


def timed(runs: int, work: object) -> tuple[float, float]:
    """Median and worst milliseconds of `runs` calls."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()  # type: ignore[operator]
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postings", type=int, default=10_000_000)
    parser.add_argument("--postgres", help="a PostgreSQL server URL to measure there instead")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="evergreen-ledger-"))
    rng = random.Random(11)
    try:
        db = fresh_database(args.postgres, folder)
        print(f"database: {db.engine.dialect.name}")
        with db.session() as session:
            ids = [
                service.add_stream(
                    session,
                    service.StreamDraft(f"Stream {n}", StreamKind.OTHER, "USD", FIRST_DAY),
                    FIRST_DAY,
                ).id
                for n in range(STREAMS)
            ]
        transactions = args.postings // 2
        posting_time = 0.0
        done = 0
        while done < transactions:
            batch = drafts(rng, ids, min(BATCH, transactions - done))
            started = time.perf_counter()
            with db.session() as session:
                service.post_many(session, batch)
            posting_time += time.perf_counter() - started
            done += len(batch)
            if done % 500_000 < BATCH:
                print(f"  {done * 2:,} postings, {done * 2 / posting_time:,.0f}/s so far")
        rate = done * 2 / posting_time
        bare = bare_insert(db, min(args.postings, 1_000_000))
        print(
            f"posting: {done * 2:,} postings in {posting_time:.1f} s = {rate:,.0f} postings/s "
            f"(goal >= 20,000/s); bare executemany of the same shape: {bare:,.0f} rows/s "
            f"(posting = {rate / bare:.1%} of it)"
        )
        started = time.perf_counter()
        same = rollups_match(db)
        print(
            f"rollups equal a full recomputation: {'yes' if same else 'NO'} "
            f"({time.perf_counter() - started:.1f} s to recompute)"
        )
        with db.session() as session:
            streams = service.all_streams(session)
            months = [FIRST_DAY + timedelta(days=30 * n + 5) for n in range(36)]

            def home() -> None:
                month = rng.choice(months).replace(day=1)
                end = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
                queries.report(session, month, end - timedelta(days=1), RATES)
                queries.histories(session, streams, month, 12, RATES)

            def history() -> None:
                queries.monthly_history(session, rng.choice(streams), months[-1], 36, RATES)

            median, worst = timed(20, home)
            print(
                f"home page figures (50 streams, a month + 12-month trends): median "
                f"{median:.0f} ms, worst {worst:.0f} ms (goal < 300 ms)"
            )
            median, worst = timed(20, history)
            print(
                f"one stream's 36-month history: median {median:.0f} ms, worst {worst:.0f} ms "
                "(goal < 300 ms)"
            )
        db.dispose()
        if args.postgres:  # the server is shared
            drop_database(args.postgres, db.engine.url.database or "")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
