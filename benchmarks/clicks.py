"""Click ingestion (spool → database) and stats for a link with 10 million clicks.

    .venv/bin/python benchmarks/clicks.py [--clicks 200000] [--postgres URL]
        [--ingesters auto|single|shared] [--redirect-shaped]

1. Spools N clicks (1,000 links, 50,000 visitors, a mix of browsers, phones and bots), then
   times `ingest_pending` — classification, uniqueness, flood checks, inserts and rollups —
   after a 1,000-click warm-up pass (the user-agent parser's one-time start).
   Reference in the same run: a bare executemany of the very rows stored into a table of
   text columns with no index (what the database alone costs). Wall and CPU (process) time
   of both: on a shared machine the CPU ratio is the one that repeats. Then the database's
   floor: the same click rows and the rollup counts the pass upserted, written by the
   ingester's own `insert_clicks` and `add_rollups` in one transaction into a second, empty
   database (indexes, keys, foreign key) — the most any ingestion storing these rows could
   reach, and what is left of the goal for everything else a pass does — with its parts: the
   clicks, the rollups, and the clicks again into a table without its two (link, ...) indexes
   (the storage choices the goal hinges on, docs/PERFORMANCE.md).
2. Builds the rollups of a link with 10,000,000 clicks over a year, gives PostgreSQL's planner
   its statistics (as autovacuum has by then), and times `link_stats` (stats read rollups
   only, never the clicks table). Never asserts on time.

With `--redirect-shaped`, instead: the ingester's CPU per click as `benchmarks/redirect.py`
makes it work (100 links, one agent and visitor, `sub1=bench`, passes of 5,000 clicks with one
visitor memory, as the follower's due passes), the figure issue 10 item 32 hinges on.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

from common import drop_database, fresh_database
from sqlalchemy import text

from evergreen.db import Database, analyze
from evergreen.links import service
from evergreen.links.clicks.ingest import ClickPolicy, ingest_pending
from evergreen.links.clicks.rollups import SUB_DIMENSIONS, Counts, add_rollups
from evergreen.links.clicks.rows import CLICK_COLUMNS, insert_clicks
from evergreen.links.clicks.spool import ClickSpool, SpoolReader
from evergreen.links.clicks.stats import link_stats
from evergreen.links.drafts import LinkDraft

AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/130.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Version/17.0 Safari/605.1",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
]
WARM_FIRST_ID = 10**12
COUNTRIES = ["US", "GB", "DE", "FR", "CA", "AU", "IN", "BR", "NL", "ES"]


def spool_clicks(folder: Path, link_ids: list[int], count: int, first_id: int = 0) -> None:
    rng = random.Random(7 + first_id)
    spool = ClickSpool(folder)
    start = time.time() - count / 2000
    for i in range(count):
        spool.append(
            {
                "id": f"{first_id + i:032x}",
                "l": rng.choice(link_ids),
                "t": start + i / 2000,
                "m": "GET",
                "v": f"visitor{rng.randrange(50_000)}",
                "ua": rng.choice(AGENTS),
                "r": rng.choice(["", "https://www.blog.example/post", "https://news.example/"]),
                "c": rng.choice(COUNTRIES),
                "p": "",
                "i": False,
                "q": {"sub1": f"post{rng.randrange(50)}", "utm_source": "newsletter"},
                "d": "https://shop.example/item?sub1=x",
            }
        )
    spool.close()


def make_links(db: Database, count: int) -> list[int]:
    """`count` links to shop.example, slugs l0, l1, …; their ids."""
    with db.session() as session:
        return [
            service.create_link(
                session, LinkDraft(destination=f"https://shop.example/{i}", slug=f"l{i}")
            ).link.id
            for i in range(count)
        ]


def redirect_shaped(postgres: str | None, policy: ClickPolicy, clicks: int) -> None:
    """CPU per click of passes of 5,000 redirect-benchmark clicks, one memory across passes."""
    folder = Path(tempfile.mkdtemp(prefix="evergreen-clicks-"))
    try:
        db = fresh_database(postgres, folder)
        links = make_links(db, 100)
        memory, reader = policy.memory(), SpoolReader(folder / "spool")
        rng, start = random.Random(7), time.time() - clicks / 20_000 - 60
        cpu, stored = 0.0, 0
        edges = [0, *range(2_000, 2_000 + clicks, 5_000), 2_000 + clicks]  # a warm-up, then 5,000s
        for first, end in pairwise(edges):
            spool = ClickSpool(folder / "spool")
            for i in range(first, end):
                at = start + i / 20_000
                spool.append(
                    {
                        "id": f"{int(at * 1e6):016x}{i:016x}", "l": rng.choice(links), "t": at,
                        "m": "GET", "v": "0" * 32, "ua": AGENTS[0], "r": "", "c": "", "p": "",
                        "i": False, "q": {"sub1": "bench"}, "d": "https://shop.example/x?sub1=bench",
                    }
                )  # fmt: skip
            spool.close()
            started = time.process_time()
            count = ingest_pending(db, reader, policy, batch=5_000, memory=memory)
            if first:
                cpu, stored = cpu + time.process_time() - started, stored + count
        print(
            f"redirect-shaped: {stored:,} clicks in passes of 5,000, CPU {cpu:.2f} s = "
            f"{cpu / stored * 1e6:.1f} us a click"
        )
        db.dispose()
        if postgres:
            drop_database(postgres, db.engine.url.database or "")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def bare_insert(db: Database, below: str) -> tuple[float, float]:
    """Reference: executemany of the very rows the ingestion stored (click IDs below `below`)
    into a plain table of text columns, no index; (wall, CPU) seconds."""
    columns = (
        "click_id, link_id, at, method, visitor, user_agent, referrer, referrer_host, country, "
        'device, os, browser, sub, "class", reason, is_unique, destination'
    )
    with db.engine.begin() as conn:
        conn.execute(
            text(
                f"CREATE TABLE bare_clicks ({', '.join(c + ' TEXT' for c in columns.split(', '))})"
            )
        )
        mark = "?" if db.engine.dialect.name == "sqlite" else "%s"
        rows = conn.exec_driver_sql(
            f"SELECT {columns} FROM clicks WHERE click_id < {mark} ORDER BY id", (below,)
        ).fetchall()
        # PostgreSQL's driver reads the JSON `sub` column as a dict: written back as its text.
        rows = [tuple(json.dumps(v) if isinstance(v, dict) else v for v in row) for row in rows]
    started, cpu = time.perf_counter(), time.process_time()
    with db.engine.begin() as conn:
        for offset in range(0, len(rows), 20_000):
            conn.exec_driver_sql(
                f"INSERT INTO bare_clicks VALUES ({', '.join([mark] * 17)})",
                rows[offset : offset + 20_000],
            )
    return time.perf_counter() - started, time.process_time() - cpu


ROLLUP_COLUMNS = 'link_id, day, dimension, value, total, human, "unique"'


def rollup_rows(db: Database) -> dict[tuple[Any, ...], tuple[int, int, int]]:
    """Every rollup row: (link, day, dimension, value) → (total, human, unique)."""
    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql(f"SELECT {ROLLUP_COLUMNS} FROM click_rollups").fetchall()
    return {tuple(row[:4]): (row[4], row[5], row[6]) for row in rows}


def upserted(
    before: dict[tuple[Any, ...], tuple[int, int, int]],
    after: dict[tuple[Any, ...], tuple[int, int, int]],
) -> Counts:
    """The rollup counts a pass added (new or changed rows), as `tally` hands them over."""
    added: Counts = {}
    for (link_id, day, dimension, value), counts in after.items():
        old = before.get((link_id, day, dimension, value), (0, 0, 0))
        if old != counts:  # SQLite gives the day back as text, add_rollups takes a date
            day = day if isinstance(day, date) else date.fromisoformat(day)
            added[(link_id, day, dimension, value)] = [
                a - b for a, b in zip(counts, old, strict=True)
            ]
    return added


@dataclass(frozen=True)
class Floor:
    """What writing a pass's rows alone costs, in seconds: all of it (wall and CPU), the clicks'
    insert and the rollups' upsert within it, and the clicks' insert again into a table without
    its two (link, ...) indexes (what they cost; the click ID's unique index stays)."""

    wall: float
    cpu: float
    clicks: float
    rollups: float
    clicks_without_link_indexes: float


def database_floor(
    db: Database, postgres: str | None, folder: Path, below: str, counts: Counts
) -> Floor:
    """The clicks stored below click ID `below` and the rollup `counts`, written by the
    ingester's own `insert_clicks` and `add_rollups` in one transaction into a second, empty
    database (the same migrations and links); then the clicks alone into a third, whose clicks
    table lacks its two (link, ...) indexes."""
    columns = ", ".join(f'"{name}"' for name in CLICK_COLUMNS)
    mark = "%s" if postgres else "?"
    with db.engine.connect() as conn:
        links = list(conn.exec_driver_sql("SELECT id FROM links ORDER BY id").scalars())
        clicks = [
            tuple(json.dumps(v) if isinstance(v, dict) else v for v in row)
            for row in conn.exec_driver_sql(
                f"SELECT {columns} FROM clicks WHERE click_id < {mark} ORDER BY id", (below,)
            )
        ]
    with _empty_copy(postgres, folder / "floor", links) as floor:
        started, cpu = time.perf_counter(), time.process_time()
        with floor.session() as session:
            insert_clicks(session, clicks)
            inserted = time.perf_counter()
            add_rollups(session, counts)
            rolled_up = time.perf_counter()
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    with _empty_copy(postgres, folder / "unindexed", links) as unindexed:
        with unindexed.engine.begin() as conn:
            for index in ("ix_clicks_link_id_at", "ix_clicks_link_visitor_at"):
                conn.exec_driver_sql(f"DROP INDEX {index}")  # constants, not input
        alone = time.perf_counter()
        with unindexed.session() as session:
            insert_clicks(session, clicks)
        without = time.perf_counter() - alone
    return Floor(wall, cpu, inserted - started, rolled_up - inserted, without)


@contextmanager
def _empty_copy(postgres: str | None, folder: Path, links: list[int]) -> Iterator[Database]:
    """A freshly migrated database holding links of the same ids as the benchmark's (the
    clicks' foreign keys hold there), dropped afterwards."""
    folder.mkdir()
    copy = fresh_database(postgres, folder, prefix=f"evergreen_{folder.name}")
    try:
        assert make_links(copy, len(links)) == links
        yield copy
    finally:
        copy.dispose()
        if postgres:
            drop_database(postgres, copy.engine.url.database or "")


def ten_million_rollups(db: Database) -> int:
    """Rollups equal to 10,000,000 clicks spread over 365 days, as the ingester would write."""
    with db.session() as session:
        link_id = service.create_link(
            session, LinkDraft(destination="https://shop.example/", slug="popular")
        ).link.id
    per_day = 10_000_000 // 365
    rng = random.Random(3)
    counts: dict[tuple[int, date, str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    dimensions = {
        "country": [f"C{i}" for i in range(60)],
        "referrer": [f"site{i}.example" for i in range(150)],
        "device": ["desktop", "mobile", "tablet", "bot"], "os": [f"OS{i}" for i in range(12)],
        "browser": [f"B{i}" for i in range(15)], "sub1": [f"post{i}" for i in range(100)],
        "utm_source": ["newsletter", "youtube", "x", "blog"],
    }  # fmt: skip
    first = date.today() - timedelta(days=364)
    for d in range(365):
        day = first + timedelta(days=d)
        counts[(link_id, day, "all", "")] = [per_day, per_day * 9 // 10, per_day * 6 // 10]
        counts[(link_id, day, "class", "human")] = [per_day * 9 // 10, per_day * 9 // 10, 0]
        counts[(link_id, day, "class", "bot")] = [per_day // 10, 0, 0]
        for dimension, values in dimensions.items():
            for value in values:
                share = rng.randrange(1, 2 * per_day // len(values))
                counts[(link_id, day, dimension, value)] = [share, share * 9 // 10, share // 2]
    with db.session() as session:
        add_rollups(session, counts)
    return len(counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=200_000)
    parser.add_argument("--postgres", help="a PostgreSQL server URL to measure there too")
    parser.add_argument(
        "--ingesters",
        choices=["auto", "single", "shared"],
        default="auto",
        help="EVERGREEN_CLICK_INGESTERS: shared times the several-servers path (database reads)",
    )
    parser.add_argument(
        "--redirect-shaped", action="store_true",
        help="CPU per click of passes shaped as benchmarks/redirect.py makes them, nothing else",
    )  # fmt: skip
    args = parser.parse_args()
    policy = ClickPolicy(ingesters=args.ingesters)
    if args.redirect_shaped:
        redirect_shaped(args.postgres, policy, args.clicks)
        return
    folder = Path(tempfile.mkdtemp(prefix="evergreen-clicks-"))
    try:
        db = fresh_database(args.postgres, folder)
        print(f"database: {db.engine.dialect.name}")
        links = make_links(db, 1000)
        # Warm-up, as wrk's first second for the redirect: a small pass pays the one-time
        # start of the user-agent parser (~0.1 s of regex compilation) outside the timing.
        # The same spool folder, so the same ingester: a second folder is a second server.
        spool_clicks(folder / "spool", links, 1_000, first_id=WARM_FIRST_ID)
        ingest_pending(db, SpoolReader(folder / "spool"), policy)
        spool_clicks(folder / "spool", links, args.clicks)
        before = rollup_rows(db)
        started, cpu = time.perf_counter(), time.process_time()
        ingested = ingest_pending(db, SpoolReader(folder / "spool"), policy)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(
            f"ingestion: {ingested:,} clicks in {elapsed:.2f} s = {ingested / elapsed:,.0f} "
            f"clicks/s (CPU {cpu:.2f} s)"
        )
        bare, bare_cpu = bare_insert(db, f"{WARM_FIRST_ID:032x}")  # not the warm-up's
        print(
            f"reference, bare executemany of the same rows: {ingested / bare:,.0f} rows/s "
            f"(CPU {bare_cpu:.2f} s)\n"
            f"ingestion = {bare / elapsed:.1%} of the reference in wall time, "
            f"{bare_cpu / cpu:.1%} in CPU time (goal >= 25%)"
        )
        rollups = upserted(before, rollup_rows(db))
        floor = database_floor(db, args.postgres, folder, f"{WARM_FIRST_ID:032x}", rollups)
        subs = sum(1 for key in rollups if key[2] in SUB_DIMENSIONS)
        print(
            f"database floor, the same {ingested:,} clicks and {len(rollups):,} rollup rows "
            f"written by the ingester's own inserts into an empty database: {floor.wall:.2f} s "
            f"(CPU {floor.cpu:.2f} s) = {bare / floor.wall:.1%} of the reference in wall time, "
            f"{bare_cpu / floor.cpu:.1%} in CPU: no ingestion storing these rows gets past that; "
            f"25% leaves {4 * bare - floor.wall:.2f} s of wall time for the rest of a pass, which "
            f"takes {elapsed - floor.wall:.2f} s now\n"
            f"  of the floor: the clicks {floor.clicks:.2f} s (into a clicks table without its two "
            f"(link, ...) indexes: {floor.clicks_without_link_indexes:.2f} s), the rollups "
            f"{floor.rollups:.2f} s ({subs:,} of their rows are sub-ID and UTM values)"
        )
        rows = ten_million_rollups(db)
        with db.session() as session:
            # Planner statistics, as autovacuum has long gathered them on a server whose link
            # has 10 million clicks: without, PostgreSQL plans for a one-row table (~4x slower).
            analyze(session, "click_rollups")
        with db.session() as session:
            link_id = service.get_link(session, "popular").id
            timings = []
            for _ in range(20):
                t0 = time.perf_counter()
                result = link_stats(session, link_id)
                timings.append((time.perf_counter() - t0) * 1000)
        print(
            f"stats of a link with {result.total_clicks:,} clicks ({rows:,} rollup rows): "
            f"median {statistics.median(timings):.1f} ms, max {max(timings):.1f} ms (goal < 200 ms)"
        )
        db.dispose()
        if args.postgres:  # the server is shared
            drop_database(args.postgres, db.engine.url.database or "")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
