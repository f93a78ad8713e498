"""kill -9 of a real `evergreen sequences run-due` while a webhook is in flight (SQLite and
PostgreSQL): the step was recorded once per enrolment, the claim outlives the process, and once
its lease ends the next tick performs every action once; only the one in flight may reach the
receiver twice, with the same Idempotency-Key."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update

from evergreen.db import Database, utcnow
from evergreen.sequences import service
from evergreen.sequences.models import SequenceAction
from evergreen.sequences.rules.actions import IDEMPOTENCY_HEADER
from tests.sequences.kit import Receiver, add_active, future_day, make_list, performer, subscribe


def test_kill_9_mid_webhook_then_every_action_once_but_the_in_flight(
    db: Database, database_url: str, receiver: Receiver, tmp_path: Path
) -> None:
    t0 = future_day()
    list_id = make_list(db)
    document = {
        "trigger": {"kind": "joined_list", "list": "News"},
        "steps": [{"kind": "webhook", "url": receiver.url}],
        "messages": {},
    }
    add_active(db, document, utcnow() - timedelta(minutes=1))
    for number in range(3):
        subscribe(db, list_id, f"p{number}@example.com")
    receiver.hang_first = 60.0  # the first request is answered only after the kill
    env = {
        **os.environ,
        "EVERGREEN_DATA_DIR": str(tmp_path / "data"),
        "EVERGREEN_DATABASE_URL": database_url,
        "EVERGREEN_WEBHOOK_ALLOW": "127.0.0.1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "evergreen.cli", "sequences", "run-due", "--now", t0.isoformat()],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not receiver.received and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    assert len(receiver.received) == 1, "the run should have been killed mid-webhook"
    with db.session() as session:
        rows = session.scalars(select(SequenceAction)).all()
        assert [row.status for row in rows] == ["claimed"] * 3  # recorded once, claim committed
        # Five minutes later, as far as the lease is concerned.
        session.execute(update(SequenceAction).values(claimed_until=utcnow() - timedelta(1)))

    tick = service.run_due(db, t0 + timedelta(minutes=1), performer=performer(tmp_path))
    assert (tick.enrolled, tick.actions_queued, tick.actions_done) == (0, 0, 3)
    assert (
        service.run_due(db, t0 + timedelta(hours=1), performer=performer(tmp_path)).actions_done
        == 0
    )
    times = Counter(headers[IDEMPOTENCY_HEADER] for headers, _ in receiver.received)
    assert len(times) == 3
    assert sorted(times.values()) == [1, 1, 2]  # only the one in flight went twice
    with db.session() as session:
        assert {row.status for row in session.scalars(select(SequenceAction))} == {"done"}
