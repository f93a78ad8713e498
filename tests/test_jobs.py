"""The task queue runs a task scheduled for later exactly once, on SQLite and on Redis, and
of several workers on one queue only one schedules the periodic tasks."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from huey import Huey, SqliteHuey, crontab

from evergreen.config import Settings
from evergreen.jobs import claim_periodic_minute, consumer_for, make_huey
from tests.conftest import require_service
from tests.waiting import wait_for


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def queue(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Huey]:
    """A fresh queue on the storage under test."""
    redis_url = require_service("EVERGREEN_TEST_REDIS_URL") if request.param == "redis" else None
    settings = Settings(data_dir=tmp_path, redis_url=redis_url)
    instance = make_huey(settings, name=f"test-{uuid.uuid4().hex[:8]}")
    yield instance
    instance.flush()


def test_a_task_scheduled_for_later_runs_once_at_its_time(queue: Huey) -> None:
    runs: list[tuple[str, datetime]] = []
    lock = threading.Lock()

    @queue.task()
    def record(label: str) -> None:
        with lock:
            runs.append((label, datetime.now(UTC)))

    # Scheduled before any consumer runs: the schedule must be kept in storage.
    scheduled_at = datetime.now(UTC)
    record.schedule(args=("later",), delay=2)
    consumer = consumer_for(queue, workers=2, scheduler_interval=1)
    consumer.start()
    try:
        time.sleep(1.0)
        assert runs == [], "ran before its time"
        assert wait_for(lambda: len(runs) == 1, 8), "scheduled task never ran"
        time.sleep(2.5)  # more scheduler ticks: it must not run again
    finally:
        consumer.stop(graceful=True)
    assert len(runs) == 1
    label, ran_at = runs[0]
    assert label == "later"
    assert (ran_at - scheduled_at).total_seconds() >= 2
    assert len(queue) == 0
    assert queue.scheduled_count() == 0


@pytest.mark.redis
def test_of_two_workers_on_one_queue_only_one_schedules_the_periodic_tasks(
    tmp_path: Path,
) -> None:
    redis_url = require_service("EVERGREEN_TEST_REDIS_URL")
    name = f"test-{uuid.uuid4().hex[:8]}"
    runs: list[str] = []
    lock = threading.Lock()
    queues = []
    for worker in ("first", "second"):  # two `evergreen worker` processes, as far as Redis sees
        instance = make_huey(Settings(data_dir=tmp_path, redis_url=redis_url), name=name)

        @instance.periodic_task(crontab())  # type: ignore[untyped-decorator]
        def every_minute(worker: str = worker) -> None:
            with lock:
                runs.append(worker)

        queues.append(instance)
    if datetime.now(UTC).second >= 55:  # both must ask about the same minute
        time.sleep(61 - datetime.now(UTC).second)
    consumers = [consumer_for(q, workers=1, scheduler_interval=1) for q in queues]
    for consumer in consumers:
        consumer.start()  # each scheduler checks the periodic tasks as it starts
    try:
        assert wait_for(lambda: len(runs) >= 1, 8), "the periodic task never ran"
        time.sleep(2)  # the other worker's scheduler has checked too by now
    finally:
        for consumer in consumers:
            consumer.stop(graceful=True)
        queues[0].flush()
    assert len(runs) == 1, runs


def test_each_minute_of_periodic_tasks_is_claimed_by_one_scheduler(queue: Huey) -> None:
    if not isinstance(queue, SqliteHuey):
        assert claim_periodic_minute(queue, datetime(2026, 1, 1, 8, 0, tzinfo=UTC))
        assert not claim_periodic_minute(queue, datetime(2026, 1, 1, 8, 0, tzinfo=UTC))
        assert claim_periodic_minute(queue, datetime(2026, 1, 1, 8, 1, tzinfo=UTC))
        return
    assert claim_periodic_minute(queue)
    assert claim_periodic_minute(queue)
