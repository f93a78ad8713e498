"""Each run of a periodic task leaves a row, through a real consumer on SQLite and PostgreSQL:
its minute, its process, how it ended; other tasks leave none, and recording never breaks a
task."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from huey import Huey, crontab, signals
from sqlalchemy import select

from evergreen.config import Settings
from evergreen.db import Database
from evergreen.jobs import build_queue, consumer_for, make_huey, periodic_schedules
from evergreen.periodic_runs import PROCESS, PeriodicRun, RunRecorder, overview, prune

MIDNIGHT = datetime(2026, 3, 1, 0, 0)  # naive UTC, as Huey's scheduler passes it


@pytest.fixture
def claims(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


def _runs(db: Database) -> list[PeriodicRun]:
    with db.session(writer=False) as session:
        rows = list(session.scalars(select(PeriodicRun).order_by(PeriodicRun.task)))
        session.expunge_all()
    return rows


def _consume(queue: Huey, claims: Database, until: Callable[[], bool]) -> None:
    """Run a consumer (no scheduler of its own) until `until` holds, 15 s at most."""
    consumer = consumer_for(queue, 2, claims, periodic=False, scheduler_interval=1)
    consumer.start()
    try:
        deadline = time.monotonic() + 15
        while not until() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        consumer.stop(graceful=True)


def _with_tasks(queue: Huey) -> list[str]:
    """A periodic task that works, one that fails and a plain one; what the plain one did."""
    done: list[str] = []

    @queue.periodic_task(crontab())  # type: ignore[untyped-decorator]
    def tick() -> None:
        time.sleep(0.02)

    @queue.periodic_task(crontab())  # type: ignore[untyped-decorator]
    def broken() -> None:
        raise RuntimeError("the disk is full\nand a second line")

    @queue.task()  # type: ignore[untyped-decorator]
    def plain() -> None:
        done.append("plain")

    tick()
    broken()
    plain()
    return done


def test_the_queue_records_each_periodic_run_and_no_other(
    claims: Database, database_url: str, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path, database_url=database_url)
    queue = build_queue(settings, f"test-{uuid.uuid4().hex[:8]}")  # as serve and worker build it
    before = datetime.now(UTC)
    done = _with_tasks(queue)
    _consume(queue, claims, lambda: len(_runs(claims)) == 2 and done == ["plain"])
    assert done == ["plain"]
    broken, tick = _runs(claims)  # the plain task left no row
    assert (tick.task, tick.outcome, tick.reason, tick.process) == ("tick", "ok", "", PROCESS)
    assert tick.duration_ms >= 20
    assert before <= tick.started_at <= tick.finished_at <= datetime.now(UTC)
    assert tick.minute == before.replace(second=0, microsecond=0) or tick.minute > before
    assert (broken.task, broken.outcome) == ("broken", "error")
    assert broken.reason == "RuntimeError: the disk is full"


def test_a_run_is_recorded_for_the_minute_the_scheduler_claimed(
    claims: Database, database_url: str, tmp_path: Path
) -> None:
    queue = make_huey(Settings(data_dir=tmp_path), name=f"test-{uuid.uuid4().hex[:8]}")
    RunRecorder(database_url).install(queue)
    _with_tasks(queue)
    queue.flush()  # only what the scheduler enqueues
    consumer = consumer_for(queue, 1, claims)
    consumer._create_scheduler().enqueue_periodic_tasks(MIDNIGHT)
    _consume(queue, claims, lambda: len(_runs(claims)) == 2)
    assert {(run.task, run.minute) for run in _runs(claims)} == {
        ("broken", MIDNIGHT.replace(tzinfo=UTC)),
        ("tick", MIDNIGHT.replace(tzinfo=UTC)),
    }


def test_a_run_that_cannot_be_recorded_is_logged_and_the_task_unharmed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    queue = make_huey(Settings(data_dir=tmp_path), name="evergreen")
    RunRecorder(f"sqlite:///{tmp_path / 'missing' / 'evergreen.db'}").install(queue)
    ran: list[int] = []

    @queue.periodic_task(crontab())  # type: ignore[untyped-decorator]
    def tick() -> None:
        ran.append(1)

    queue.immediate = True  # executes at once, signals included
    with caplog.at_level(logging.WARNING, logger="evergreen.periodic_runs"):
        tick()
    assert ran == [1]
    assert "could not record the run of periodic task tick" in caplog.text
    assert "Error occurred in receiver" not in caplog.text  # nothing raised into Huey


def _row(task: str, started: datetime, outcome: str = "ok") -> PeriodicRun:
    return PeriodicRun(
        task=task, minute=started.replace(second=0, microsecond=0), process="web1:42",
        started_at=started, finished_at=started + timedelta(seconds=1), outcome=outcome,
        reason="" if outcome == "ok" else "ValueError: no", duration_ms=1000,
    )  # fmt: skip


def test_overview_gives_each_task_its_last_run_and_last_hour_and_old_runs_are_pruned(
    claims: Database,
) -> None:
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    with claims.session() as session:
        session.add_all(
            [_row("tick", now - timedelta(minutes=m)) for m in (1, 2, 3, 90)]
            + [_row("tick", now - timedelta(days=8))]
            + [_row("daily", now - timedelta(hours=5), "error")]
        )
    schedules = {"tick": "every minute", "daily": "daily at 07:00 UTC", "new": "hourly at :07"}
    daily, new, tick = overview(claims, schedules, now)
    assert (tick.name, tick.schedule, tick.last_hour) == ("tick", "every minute", 3)
    assert tick.last is not None
    assert tick.last.started_at == now - timedelta(minutes=1)
    assert daily.last is not None
    assert (daily.last.outcome, daily.last_hour) == ("error", 0)
    assert new.last is None
    assert new.as_json()["last_run"] is None
    assert daily.as_json()["last_run"]["reason"] == "ValueError: no"
    assert prune(claims, now) == 1  # only the run older than a week
    assert len(_runs(claims)) == 5


def test_the_schedules_of_the_areas_periodic_tasks_are_named_in_words(tmp_path: Path) -> None:
    schedules = periodic_schedules(Settings(data_dir=tmp_path))
    assert schedules["check_link_health"] == "daily at 04:17 UTC"
    assert schedules["deliver_webhooks"] == "every minute"
    assert "every 5 minutes" in schedules.values()
    assert "hourly at :07" in schedules.values()


def test_enqueued_signal_alone_records_nothing(tmp_path: Path) -> None:
    recorder = RunRecorder(f"sqlite:///{tmp_path / 'none.db'}")
    queue = make_huey(Settings(data_dir=tmp_path), name="evergreen")
    recorder.install(queue)
    assert signals.SIGNAL_ENQUEUED not in queue._signal.receivers
