"""A broadcast's per-batch bookkeeping at its start and at its end (issue 12: a broadcast stays
linear at a million recipients).

    python benchmarks/broadcast_batches.py [--recipients 100000] [--batches 10] [--postgres URL]

1. A fresh database (SQLite in a temp folder, or a new PostgreSQL database on the server given,
   dropped afterwards) with N subscribed members of one list and a second, paused broadcast to
   a tenth of them queued first (rows the sender must step over), then the broadcast to all N
   sent now: `act(send)` queues its N send rows.
2. At the start (nothing sent yet) and at the end (every row but the last few batches marked
   sent in one statement, as if the sender had got there), `--batches` cycles of the sender's
   own steps without SMTP: `_claim` of a batch of 50 (alternately with the broadcast's id, as
   `evergreen mail send ID` and `--processes` give it, and without, as the server's minute task
   claims), then `_record` of every row as sent and `_after_batch` (finish, auto-pause) in one
   transaction, as `_land` does. Prints the median milliseconds of each step.
Never asserts on time.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import drop_database, fresh_database
from sqlalchemy import text
from sqlalchemy.engine import make_url

from evergreen.audience import service as audience
from evergreen.db import Database, utcnow
from evergreen.mail import service
from evergreen.mail.service import delivery

CHUNK = 50_000


def _seed(db: Database, count: int) -> tuple[int, int]:
    """N subscribed members, a paused broadcast to the first tenth, the broadcast to all sent."""
    with db.session() as session:
        list_id = audience.create_list(session, "Bench", double_opt_in=False).id
        few = audience.create_list(session, "Few", double_opt_in=False).id
    now = utcnow()
    for start in range(1, count + 1, CHUNK):
        ids = range(start, min(start + CHUNK, count + 1))
        with db.session() as session:
            session.execute(
                text(
                    "INSERT INTO subscribers (id, email, email_key, name, fields, source, "
                    "soft_bounces, created_at, updated_at) VALUES (:i, :e, :e, '', '{}', "
                    "'import', 0, :now, :now)"
                ),
                [{"i": i, "e": f"p{i}@example.com", "now": now} for i in ids],
            )
            members = [{"i": i, "l": list_id, "now": now} for i in ids]
            members += [{"i": i, "l": few, "now": now} for i in ids if i % 10 == 0]
            session.execute(
                text(
                    "INSERT INTO list_members (subscriber_id, list_id, status, created_at, "
                    "updated_at) VALUES (:i, :l, 'subscribed', :now, :now)"
                ),
                members,
            )
    with db.session() as session:
        if db.engine.dialect.name == "postgresql":
            session.execute(text("SELECT setval('subscribers_id_seq', :n)"), {"n": count})
        paused = service.create_broadcast(session, service.Draft("Earlier", "Body", few)).id
        service.act(session, paused, "send")
        service.act(session, paused, "pause")
        broadcast = service.create_broadcast(session, service.Draft("Hello", "Body", list_id)).id
    started = time.perf_counter()
    with db.session() as session:
        service.act(session, broadcast, "send")
    print(f"queued {count:,} rows in {time.perf_counter() - started:.1f} s")
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    return paused, broadcast


def _timed(step: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    found = step()
    return (time.perf_counter() - started) * 1000, found


def _cycles(db: Database, broadcast: int, batches: int) -> dict[str, list[float]]:
    """Claim, record and finish a batch at a time, as the sender does; milliseconds per step."""
    times: dict[str, list[float]] = {"claim with id": [], "claim without id": [], "book": []}
    run = "bench/1"
    for number in range(batches):
        only = broadcast if number % 2 == 0 else None
        now = utcnow()
        with db.session() as session:
            ms, claimed = _timed(
                lambda: delivery._claim(session, now, run, delivery.LEASE, delivery.BATCH, only)  # noqa: B023
            )
        times["claim with id" if only else "claim without id"].append(ms)
        outcomes = [delivery._Outcome(c, "sent") for c in claimed]
        with db.session() as session:

            def book() -> None:
                delivery._record(session, run, outcomes, now)  # noqa: B023
                delivery._after_batch(session, {broadcast}, now)  # noqa: B023
                session.flush()

            ms, _ = _timed(book)
        times["book"].append(ms)
        if len(claimed) != delivery.BATCH:
            raise SystemExit(f"claimed {len(claimed)} rows, not {delivery.BATCH}")
    return times


def _to_the_end(db: Database, broadcast: int, keep: int) -> None:
    """Every row of the broadcast but the last `keep` marked sent, as if sent batch by batch."""
    now = utcnow()
    with db.session() as session:
        last = session.execute(
            text("SELECT max(id) FROM mail_sends WHERE message_id = :b"), {"b": broadcast}
        ).scalar_one()
        session.execute(
            text(
                "UPDATE mail_sends SET status = 'sent', sent_at = :now, attempts = 1 "
                "WHERE message_id = :b AND status = 'queued' AND id <= :cut"
            ),
            {"b": broadcast, "now": now, "cut": last - keep},
        )
        recount = getattr(service, "recount", None)
        if recount is not None:  # kept counters (after issue 12) follow the send log
            recount(session, broadcast)
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE mail_sends"))


def _report(label: str, times: dict[str, list[float]]) -> None:
    for step, found in times.items():
        middle = statistics.median(found)
        print(f"{label:<6} {step:<17} median {middle:8.2f} ms  (max {max(found):.2f})")


def main() -> None:
    """Seed, measure at the start, jump to the end, measure again."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--postgres", default=None, help="a PostgreSQL server URL")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="broadcast-batches-"))
    db = fresh_database(args.postgres, folder, "evergreen_batches")
    try:
        print(f"{db.engine.dialect.name}, {args.recipients:,} recipients")
        _, broadcast = _seed(db, args.recipients)
        _report("start", _cycles(db, broadcast, args.batches))
        _to_the_end(db, broadcast, (args.batches + 2) * delivery.BATCH)
        _report("end", _cycles(db, broadcast, args.batches))
    finally:
        db.dispose()
        if args.postgres is not None:
            name = make_url(str(db.engine.url)).database
            drop_database(args.postgres, str(name))
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
