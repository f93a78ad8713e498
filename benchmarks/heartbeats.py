"""Watch-room heartbeats: beats spooled, then folded into webinar_attendance (spool → table).

    .venv/bin/python benchmarks/heartbeats.py [--beats 200000] [--postgres URL]

Spools N beats of one 60-minute webinar (a registrant per 100 beats: about 8 minutes watched
each, a fifth of them on the replay, 1 beat in 20 sent twice), then times a fresh ingester's
fold of the whole spool: parsing, OR-merging buckets, and the upserts of the attendance rows.
Reference in the same run: a bare executemany of the same beats, one row each, into a table
with no index (what merely storing them costs). Wall and CPU time of both; the goal is
≥ 20,000 beats/s folded. Also the spool's own append rate (the endpoint's hot path). Never
asserts on time.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import drop_database, fresh_database
from sqlalchemy import func, insert, select, text

from evergreen.db import Database
from evergreen.webinars import service
from evergreen.webinars.beats import Beat, BeatReader, BeatSpool, ingest_pending
from evergreen.webinars.models import WebinarAttendance, WebinarRegistration

PER_PERSON = 100


def registrations(db: Database, count: int, start: datetime) -> list[int]:
    """`count` registrations of one webinar's session at `start`."""
    with db.session() as session:
        draft = service.WebinarDraft(
            name="bench", duration_minutes=60, schedule="jit:15", timezone="viewer"
        )
        webinar = service.add_webinar(session, draft).id
        rows = [
            {
                "webinar_id": webinar, "subscriber_id": n, "email": f"p{n}@example.com",
                "email_key": f"p{n}@example.com", "name": "", "viewer_timezone": "UTC",
                "session_start": start, "registered_at": start, "source": {},
                "created_at": start, "updated_at": start,
            }
            for n in range(count)
        ]  # fmt: skip
        session.execute(insert(WebinarRegistration), rows)
        return list(session.scalars(select(WebinarRegistration.id)))


def make_beats(people: list[int], total: int, start: float) -> list[Beat]:
    """About PER_PERSON consecutive beats per person from a random second; some on replay."""
    rng = random.Random(7)
    beats: list[Beat] = []
    while len(beats) < total:
        for rid in people:
            first = rng.randrange(0, 3600 - PER_PERSON * 5, 5)
            replay = rng.random() < 0.2
            offset = 7200 if replay else 0
            for s in range(first, first + PER_PERSON * 5, 5):
                beats.append(Beat(rid, s, start + offset + s, not replay))
                if rng.random() < 0.05:
                    beats.append(beats[-1])  # a beat sent twice
            if len(beats) >= total:
                break
    return beats[:total]


def bare_insert(db: Database, beats: list[Beat]) -> tuple[float, float]:
    """Reference: executemany of the beats, a row each, into a plain table; (wall, CPU) s."""
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE bare_beats "
                "(registration_id INTEGER, second INTEGER, at REAL, live INTEGER)"
            )
        )
    mark = "?" if db.engine.dialect.name == "sqlite" else "%s"
    rows = [(b.registration_id, b.second, b.at, int(b.live)) for b in beats]
    started, cpu = time.perf_counter(), time.process_time()
    with db.engine.begin() as conn:
        for offset in range(0, len(rows), 20_000):
            conn.exec_driver_sql(
                f"INSERT INTO bare_beats VALUES ({mark}, {mark}, {mark}, {mark})",
                rows[offset : offset + 20_000],
            )
    return time.perf_counter() - started, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--beats", type=int, default=200_000)
    parser.add_argument("--postgres", help="a PostgreSQL server URL to measure there too")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="evergreen-beats-"))
    db = fresh_database(args.postgres, folder)
    try:
        print(f"database: {db.engine.dialect.name}; load average {os.getloadavg()[0]:.1f}")
        start = datetime.now(UTC) - timedelta(hours=3)
        people = registrations(db, max(1, args.beats // PER_PERSON), start)
        beats = make_beats(people, args.beats, start.timestamp())
        spool = BeatSpool(folder / "spool")
        started = time.perf_counter()
        for beat in beats:  # one append per beat, as the endpoint does
            spool.append([beat])
        spooled = time.perf_counter() - started
        spool.close()
        print(f"spool: {len(beats):,} appends in {spooled:.2f} s = {len(beats) / spooled:,.0f}/s")
        started, cpu = time.perf_counter(), time.process_time()
        read = ingest_pending(db, BeatReader(folder / "spool"))
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(
            f"fold: {read:,} beats in {elapsed:.2f} s = "
            f"{read / elapsed:,.0f} beats/s (CPU {cpu:.2f} s; goal >= 20,000/s)"
        )
        with db.session(writer=False) as session:
            rows = session.scalar(select(func.count(WebinarAttendance.id)))
            watched = session.scalar(select(func.sum(WebinarAttendance.watched_seconds)))
        print(f"check: {rows:,} attendance rows, {watched:,} s watched (<= 500 s a row)")
        bare, bare_cpu = bare_insert(db, beats)
        print(
            f"reference, bare executemany of the same beats: {len(beats) / bare:,.0f} rows/s "
            f"(CPU {bare_cpu:.2f} s)\n"
            f"fold = {bare / elapsed:.1%} of the reference in wall time, "
            f"{bare_cpu / cpu:.1%} in CPU time"
        )
    finally:
        db.dispose()
        if args.postgres:
            drop_database(args.postgres, db.engine.url.database or "")
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
