"""The sequences scheduler at scale (issue 13: 1,000,000 enrolments in 20 sequences; a tick finds
and claims due steps in < 1 s; a day's sends processed at the mail engine's rate).

    .venv/bin/python benchmarks/sequences.py [--enrolments 1000000] [--due 0.01] [--postgres URL]

1. Fills a fresh database: one list, 20 active sequences of 5 sends with waits between them
   (made through the real service), `--enrolments / 20` subscribers on the list (time zones
   from UTC-12 to UTC+14), each enrolled in every sequence at a send step; a share `--due` of
   the active enrolments is due in the last hour, the rest within 30 days, 5 % finished.
   Written with the driver's executemany (COPY on PostgreSQL).
2. Find and claim: one `_claim` of a batch (median of 5, rolled back), then a whole tick's claim
   phase: claim a batch, mark it taken, claim the next, until nothing is due (rolled back).
   Reference in the same run: `SELECT count(*)` of the due enrolments.
3. A tick through the real scheduler (`run_due` at the fill's instant, no outbox): advance
   every due enrolment and queue its send row; enrolments and send rows per second. Reference:
   the bare insert of the same send rows (executemany, rolled back).
Never asserts on time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from common import drop_database, fresh_database
from sqlalchemy import or_, select, text, update
from sqlalchemy.engine import make_url

from evergreen.audience import service as audience
from evergreen.db import Database, utcnow
from evergreen.sequences import service
from evergreen.sequences.models import Enrolment, Sequence
from evergreen.sequences.service import scheduler

SEQUENCES = 20
SENDS = 5  # send steps per sequence: s1, s3, s5, s7, s9 with waits s2, s4, … between them
ZONES = ("Etc/GMT+12", "America/New_York", "Europe/London", "Asia/Kolkata", "Pacific/Kiritimati")
CHUNK = 50_000


def _document(number: int) -> dict[str, Any]:
    """A sequence of SENDS sends, each followed by a wait of 1, 2, … days."""
    steps: list[dict[str, Any]] = []
    messages: dict[str, Any] = {}
    for index in range(SENDS):
        ref = f"m{index + 1}"
        steps.append({"kind": "send", "message": ref})
        steps.append({"kind": "wait", "seconds": (index + 1) * 86_400})
        messages[ref] = {"subject": f"Sequence {number}, part {index + 1}", "body": "Hello."}
    return {"trigger": {"kind": "got_tag", "name": f"bench-{number}"}, "steps": steps,
            "messages": messages}  # fmt: skip


def _value(value: Any, postgres: bool) -> Any:
    """A datetime as SQLAlchemy stores it on SQLite (UTC, no zone); as is for psycopg."""
    if isinstance(value, datetime) and not postgres:
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def _write(
    cursor: Any, postgres: bool, table: str, columns: str, rows: list[tuple[Any, ...]]
) -> None:
    """executemany on SQLite, COPY on PostgreSQL."""
    if postgres:
        with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join("?" for _ in columns.split(","))
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) VALUES ({marks})",
            [tuple(_value(v, postgres) for v in row) for row in rows],
        )


def _enrolments(
    people: int, sequence_ids: list[int], now: datetime, due_share: float, seed: int = 13
) -> Iterator[list[tuple[Any, ...]]]:
    """Enrolment rows, CHUNK at a time: every person in every sequence, at a send step."""
    rng = random.Random(seed)
    rows: list[tuple[Any, ...]] = []
    for subscriber_id in range(1, people + 1):
        for sequence_id in sequence_ids:
            at = rng.randrange(SENDS)
            sent = [f"s{2 * i + 1}" for i in range(at)]
            created = now - timedelta(days=30)
            if rng.random() < 0.05:
                position = {"step_id": None, "due": None, "stale_at": None, "sent": sent}
                row = (sequence_id, subscriber_id, json.dumps(position), None, "finished",
                       "", len(sent) * 2, "", None, created, now)  # fmt: skip
            else:
                if rng.random() < due_share:
                    due = now - timedelta(seconds=rng.randrange(3600))
                else:
                    due = now + timedelta(seconds=rng.randrange(1, 30 * 86_400))
                position = {"step_id": f"s{2 * at + 1}", "due": due.isoformat(),
                            "stale_at": None, "sent": sent}  # fmt: skip
                row = (sequence_id, subscriber_id, json.dumps(position), due, "active", "",
                       len(sent) * 2, "", None, created, now)  # fmt: skip
            rows.append(row)
            if len(rows) >= CHUNK:
                yield rows
                rows = []
    if rows:
        yield rows


def fill(db: Database, enrolments: int, now: datetime, due_share: float) -> tuple[float, int]:
    """The list, the sequences, the people and their enrolments; seconds taken, people."""
    started = time.perf_counter()
    people = max(1, enrolments // SEQUENCES)
    with db.session() as session:
        list_id = audience.create_list(session, "News", double_opt_in=False).id
        for number in range(1, SEQUENCES + 1):
            service.add_sequence(session, f"bench-{number}", "News", _document(number))
            service.set_status(session, f"bench-{number}", "active", now - timedelta(days=40))
            session.execute(
                update(Sequence)
                .where(Sequence.name == f"bench-{number}")
                .values(enrolled_through=now)
            )
        sequence_ids = list(session.scalars(select(Sequence.id).order_by(Sequence.id)))
    postgres = db.engine.dialect.name == "postgresql"
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if not postgres:
            cursor.execute("BEGIN")
        joined = now - timedelta(days=60)
        for first in range(1, people + 1, CHUNK):
            ids = range(first, min(first + CHUNK, people + 1))
            subscribers = [
                (i, f"person{i}@example.com", f"person{i}@example.com", "", "{}",
                 ZONES[i % len(ZONES)], "import", None, 0, joined, joined)
                for i in ids
            ]  # fmt: skip
            _write(cursor, postgres, "subscribers", "id, email, email_key, name, fields, "
                   "time_zone, source, suppressed, soft_bounces, created_at, updated_at",
                   subscribers)  # fmt: skip
            members = [(i, list_id, "subscribed", joined, joined) for i in ids]
            _write(cursor, postgres, "list_members",
                   "subscriber_id, list_id, status, created_at, updated_at", members)  # fmt: skip
        for rows in _enrolments(people, sequence_ids, now, due_share):
            _write(cursor, postgres, "sequence_enrolments", "sequence_id, subscriber_id, "
                   "position, due_at, status, exit_reason, steps_done, claimed_by, "
                   "claimed_until, created_at, updated_at", rows)  # fmt: skip
        if postgres:
            cursor.execute("SELECT setval('subscribers_id_seq', %s)", (people,))
        raw.commit()
        cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    return time.perf_counter() - started, people


def median(function: Callable[[], Any], repeats: int = 5) -> tuple[float, Any]:
    """Median seconds of `repeats` calls after one warm-up, and the last result."""
    result = function()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def _rolled_back(db: Database, work: Callable[[Any], Any]) -> Any:
    """Run `work(session)` in a transaction that is rolled back (the data stays as filled)."""
    session = db.sessions()
    try:
        return work(session)
    finally:
        session.rollback()
        session.close()


def claim_by_id(session: Any, now: datetime, batch: int) -> list[int]:
    """The claim as it was before this benchmark (in id order), for comparison."""
    due = (
        select(Enrolment.id)
        .join(Sequence, Sequence.id == Enrolment.sequence_id)
        .where(
            Sequence.status == "active",
            Enrolment.status == "active",
            Enrolment.due_at <= now,
            or_(Enrolment.claimed_until.is_(None), Enrolment.claimed_until < utcnow()),
        )
        .order_by(Enrolment.id)
        .limit(batch)
        .with_for_update(skip_locked=True, of=Enrolment)
    )
    return list(session.scalars(due))


def claim_phase(
    db: Database, now: datetime, batch: int, claim: Callable[[Any, datetime, int], list[int]]
) -> tuple[float, int, int]:
    """A whole tick's claims as run_due makes them: claim a batch, move it on (as the steps'
    writes do) and commit, repeat until nothing is due; then put the due times back. Seconds
    spent claiming, enrolments claimed, claims made."""
    with db.session(writer=False) as session:
        was = {
            row.id: row.due_at
            for row in session.execute(
                select(Enrolment.id, Enrolment.due_at).where(
                    Enrolment.status == "active", Enrolment.due_at <= now
                )
            )
        }
    spent, claimed, claims = 0.0, 0, 0
    while True:
        with db.session() as session:
            started = time.perf_counter()
            ids = claim(session, now, batch)
            spent += time.perf_counter() - started
            claims += 1
            if not ids:
                break
            claimed += len(ids)
            session.execute(
                update(Enrolment)
                .where(Enrolment.id.in_(ids))
                .values(due_at=now + timedelta(days=1))
            )
    with db.session() as session:
        session.execute(update(Enrolment), [{"id": k, "due_at": at} for k, at in was.items()])
    return spent, claimed, claims


def timed_claims(tick: Callable[[], scheduler.Tick]) -> tuple[scheduler.Tick, float, int]:
    """Run a tick, timing each `_claim` it makes (the module's function, wrapped for the run);
    the tick, seconds spent in `_claim`, claims made."""
    claim = scheduler._claim
    spent: list[float] = []

    def timing(session: Any, now: datetime, batch: int) -> list[int]:
        started = time.perf_counter()
        try:
            return claim(session, now, batch)
        finally:
            spent.append(time.perf_counter() - started)

    scheduler._claim = timing  # type: ignore[assignment]
    try:
        done = tick()
    finally:
        scheduler._claim = claim  # type: ignore[assignment]
    return done, sum(spent), len(spent)


def send_rows(db: Database, now: datetime) -> list[dict[str, Any]]:
    """The send rows the due enrolments will queue: their step's message, their person."""
    with db.session(writer=False) as session:
        refs = {
            sequence_id: service.message_ids(session, sequence_id)
            for sequence_id in session.scalars(select(Sequence.id))
        }
        due = session.execute(
            select(Enrolment.sequence_id, Enrolment.subscriber_id, Enrolment.position).where(
                Enrolment.status == "active", Enrolment.due_at <= now
            )
        ).all()
    rows = []
    for sequence_id, subscriber_id, position in due:
        message = f"m{(int(position['step_id'][1:]) + 1) // 2}"
        rows.append({"message_id": refs[sequence_id][message], "subscriber_id": subscriber_id,
                     "status": "queued", "attempts": 0, "next_attempt_at": now})  # fmt: skip
    return rows


def bare_insert(db: Database, rows: list[dict[str, Any]]) -> float:
    """Seconds to insert the same send rows with one executemany (rolled back)."""
    from evergreen.mail.models import MailSend

    def work(session: Any) -> float:
        started = time.perf_counter()
        session.execute(MailSend.__table__.insert(), rows)
        session.flush()
        return time.perf_counter() - started

    seconds: float = _rolled_back(db, work)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--enrolments", type=int, default=1_000_000)
    parser.add_argument("--due", type=float, default=0.01, help="share of active ones due now")
    parser.add_argument("--batch", type=int, default=scheduler.BATCH)
    parser.add_argument("--postgres", help="a PostgreSQL server URL to measure there instead")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="evergreen-bench-sequences-"))
    db = fresh_database(args.postgres, folder, "evergreen_bench_sequences")
    now = datetime.now(UTC).replace(microsecond=0)
    try:
        where = db.engine.dialect.name
        postgres = where == "postgresql"
        print(f"{where}, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        seconds, people = fill(db, args.enrolments, now, args.due)
        with db.session(writer=False) as session:
            total = session.scalar(text("SELECT count(*) FROM sequence_enrolments"))
            count_due = text(
                "SELECT count(*) FROM sequence_enrolments WHERE status = 'active' "
                "AND due_at <= :now"
            )
            base, due = median(lambda: session.scalar(count_due, {"now": _value(now, postgres)}))
        print(f"  {total:,} enrolments of {people:,} people in {SEQUENCES} sequences written "
              f"in {seconds:.1f} s; {due:,} due")  # fmt: skip
        print(f"  reference: count the due ones (index):   {base * 1000:8.1f} ms")
        one, ids = median(lambda: _rolled_back(db, lambda s: scheduler._claim(s, now, args.batch)))
        print(f"  _claim, one batch of {args.batch} ({len(ids)} claimed):   {one * 1000:8.1f} ms")
        for name, claim in (("_claim", scheduler._claim), ("the old claim, by id", claim_by_id)):
            spent, claimed, claims = claim_phase(db, now, args.batch, claim)
            print(f"  a tick's claim phase, {name}: {claims} claims, {claimed:,} enrolments: "
                  f"{spent:.3f} s")  # fmt: skip
        rows = send_rows(db, now)
        reference = bare_insert(db, rows)
        print(f"  reference: bare insert of the {len(rows):,} send rows: {reference:.2f} s "
              f"({len(rows) / reference:,.0f}/s)")  # fmt: skip
        started, cpu = time.perf_counter(), time.process_time()
        tick, claiming, claims = timed_claims(lambda: scheduler.run_due(db, now, batch=args.batch))
        took, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(f"  run_due tick: {tick.as_dict()}")
        print(f"  the tick's own claims: {claims} claims, {claiming:.3f} s in _claim")
        print(f"  tick: {took:.1f} s, {(tick.queued + tick.finished) / took:,.0f} enrolments "
              f"advanced/s, {tick.queued / took:,.0f} send rows queued/s "
              f"({took / reference:.0f}x the bare insert)")  # fmt: skip
        print(f"  by this process's CPU time: {cpu:.1f} s, {tick.queued / cpu:,.0f} send rows "
              "queued per CPU second (the database server's CPU not counted)")  # fmt: skip
        print(f"  load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        db.dispose()
        if args.postgres:
            drop_database(args.postgres, make_url(db.url).database or "")
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
