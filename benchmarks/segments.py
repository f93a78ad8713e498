"""Dynamic segments counted live over a large audience (issue 12: 1,000,000 subscribers, < 1 s).

    .venv/bin/python benchmarks/segments.py [--subscribers 1000000] [--postgres URL]

1. Fills a fresh database with `--subscribers` subscribers (custom fields country, age, plan;
   tags; memberships of 3 lists; consent and activity rows: sends, real and proxy opens,
   clicks, purchases), written with the driver's executemany (COPY on PostgreSQL).
2. Counts 6 representative segments through the real service (`segments.count`: parse, look
   up lists, compile, one COUNT), median of 3 each, after one warm-up count.
   Reference in the same run: a plain `SELECT count(*) FROM subscribers`.
Never asserts on time.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from common import drop_database, fresh_database
from sqlalchemy import text
from sqlalchemy.engine import make_url

from evergreen.audience.service import segments
from evergreen.db import Database

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
LISTS = ("Weekly tips", "News", "Offers")
COUNTRIES = ("DE", "US", "FR", "GB", "ES", "IT", "NL", "PL", "SE", "AT")
SEGMENTS = (
    'tag:buyer and not clicked:30d and field.country = "DE"',
    'list:"Weekly tips"',
    "status:subscribed",
    'field.age > 30 and field.plan = "pro"',
    "opened:7d or clicked:7d",
    "created:<90d and source:import and not tag:vip",
)
BATCH = 50_000


def _moment(rng: random.Random, days: int) -> datetime:
    return NOW - timedelta(seconds=rng.randrange(days * 86_400))


def people(count: int, seed: int = 7) -> Iterator[dict[str, list[tuple[Any, ...]]]]:
    """Rows of every table, BATCH subscribers at a time (ids 1..count)."""
    rng = random.Random(seed)
    sources = ("form",) * 5 + ("import",) * 3 + ("api", "purchase")
    kinds = ("sent",) * 4 + ("opened",) * 2 + ("opened_proxy", "clicked", "purchased")
    statuses = ("subscribed",) * 8 + ("unconfirmed", "unsubscribed")
    for start in range(1, count + 1, BATCH):
        rows: dict[str, list[tuple[Any, ...]]] = {
            "subscribers": [], "tags": [], "members": [], "activity": [], "consent": [],
        }  # fmt: skip
        for sid in range(start, min(start + BATCH, count + 1)):
            created = _moment(rng, 3 * 365)
            fields = {"country": rng.choice(COUNTRIES), "age": rng.randint(18, 80)}
            if rng.random() < 0.3:
                fields["plan"] = rng.choice(("pro", "free"))
            suppressed = "bounced" if rng.random() < 0.02 else None
            email = f"person{sid}@example.com"
            rows["subscribers"].append(
                (sid, email, email, "", json.dumps(fields), rng.choice(sources), suppressed, 0,
                 created, created)
            )  # fmt: skip
            for tag, share in (("buyer", 0.3), ("vip", 0.05), ("webinar-attended", 0.1)):
                if rng.random() < share:
                    rows["tags"].append((sid, tag, created))
            for list_id in range(1, 4):
                if rng.random() < 0.6:
                    rows["members"].append((sid, list_id, rng.choice(statuses), created, created))
            rows["consent"].append((sid, 1, "opt_in", created, "form", "", "", ""))
            for _ in range(rng.choice((0, 1, 2, 3, 4))):
                rows["activity"].append((sid, rng.choice(kinds), _moment(rng, 120), ""))
        yield rows


_INSERTS = {
    "subscribers": "INSERT INTO subscribers (id, email, email_key, name, fields, source, "
    "suppressed, soft_bounces, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "tags": "INSERT INTO subscriber_tags (subscriber_id, tag, created_at) VALUES (?, ?, ?)",
    "members": "INSERT INTO list_members (subscriber_id, list_id, status, created_at, "
    "updated_at) VALUES (?, ?, ?, ?, ?)",
    "activity": "INSERT INTO subscriber_activity (subscriber_id, kind, at, ref) "
    "VALUES (?, ?, ?, ?)",
    "consent": "INSERT INTO consent_events (subscriber_id, list_id, action, at, source, form, "
    "wording, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
}
_COPIES = {
    "subscribers": "COPY subscribers (id, email, email_key, name, fields, source, suppressed, "
    "soft_bounces, created_at, updated_at) FROM STDIN",
    "tags": "COPY subscriber_tags (subscriber_id, tag, created_at) FROM STDIN",
    "members": "COPY list_members (subscriber_id, list_id, status, created_at, updated_at) "
    "FROM STDIN",
    "activity": "COPY subscriber_activity (subscriber_id, kind, at, ref) FROM STDIN",
    "consent": "COPY consent_events (subscriber_id, list_id, action, at, source, form, wording, "
    "detail) FROM STDIN",
}


def _sqlite_value(value: Any) -> Any:
    """A datetime as SQLAlchemy stores it on SQLite (UTC, no zone)."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def fill(db: Database, count: int) -> float:
    """Write the audience; seconds taken."""
    started = time.perf_counter()
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        postgres = db.engine.dialect.name == "postgresql"
        if not postgres:
            cursor.execute("BEGIN")
        for number, name in enumerate(LISTS, start=1):
            values = (number, name, "", True, NOW if postgres else _sqlite_value(NOW))
            marks = "%s, %s, %s, %s, %s" if postgres else "?, ?, ?, ?, ?"
            cursor.execute(
                "INSERT INTO audience_lists (id, name, description, double_opt_in, created_at)"
                f" VALUES ({marks})",
                values,
            )
        for rows in people(count):
            for table, batch in rows.items():
                if postgres:
                    with cursor.copy(_COPIES[table]) as copy:
                        for row in batch:
                            copy.write_row(row)
                else:
                    cursor.executemany(
                        _INSERTS[table], [tuple(map(_sqlite_value, row)) for row in batch]
                    )
        if postgres:
            cursor.execute("SELECT setval('subscribers_id_seq', %s)", (count,))
        raw.commit()
        cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    return time.perf_counter() - started


def timed(function: Any, repeats: int = 3) -> tuple[float, Any]:
    """Median seconds of `repeats` calls after one warm-up, and the last result."""
    result = function()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1_000_000)
    parser.add_argument("--postgres", help="a PostgreSQL server URL to measure there instead")
    parser.add_argument(
        "--keep", action="store_true", help="keep the filled database and print its URL"
    )
    parser.add_argument("--reuse", help="count on a database a --keep run filled (its URL)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="evergreen-bench-segments-"))
    if args.reuse:
        db, url = Database(args.reuse), args.reuse
    else:
        db = fresh_database(args.postgres, folder, "evergreen_bench_segments")
        url = db.url
    try:
        where = db.engine.dialect.name
        if not args.reuse:
            seconds = fill(db, args.subscribers)
            print(f"{where}: {args.subscribers:,} subscribers written in {seconds:.1f} s")
        with db.session(writer=False) as session:
            counts = {
                table: session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in ("subscriber_tags", "list_members", "subscriber_activity")
            }
            print("  rows: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))
            base, total = timed(
                lambda: session.execute(text("SELECT count(*) FROM subscribers")).scalar_one()
            )
            print(
                f"  reference SELECT count(*) FROM subscribers: {base * 1000:7.1f} ms ({total:,})"
            )
            scan, _ = timed(
                lambda: session.execute(
                    text("SELECT count(*) FROM subscribers WHERE email_key <> ''")
                ).scalar_one()
            )
            print(f"  reference, every row read (email_key <> ''): {scan * 1000:7.1f} ms")
            for query in SEGMENTS:
                took, found = timed(lambda q=query: segments.count(session, q, now=NOW))
                print(f"  {took * 1000:7.1f} ms  {found:>9,}  {query}")
    finally:
        db.dispose()
        if args.keep or args.reuse:
            print(f"  kept: --reuse {url}")
        else:
            if args.postgres:
                drop_database(args.postgres, make_url(url).database or "")
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
