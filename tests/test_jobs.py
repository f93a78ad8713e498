"""The task queue runs a task scheduled for later exactly once, on SQLite and on Redis."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from huey import Huey

from evergreen.config import Settings
from evergreen.jobs import consumer_for, make_huey
from tests.conftest import require_service


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def queue(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Huey]:
    """A fresh queue on the storage under test."""
    redis_url = require_service("EVERGREEN_TEST_REDIS_URL") if request.param == "redis" else None
    settings = Settings(data_dir=tmp_path, redis_url=redis_url)
    instance = make_huey(settings, name=f"test-{uuid.uuid4().hex[:8]}")
    yield instance
    instance.flush()


def _wait_for(condition: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


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
        assert _wait_for(lambda: len(runs) == 1, timeout=8), "scheduled task never ran"
        time.sleep(2.5)  # more scheduler ticks: it must not run again
    finally:
        consumer.stop(graceful=True)
    assert len(runs) == 1
    label, ran_at = runs[0]
    assert label == "later"
    assert (ran_at - scheduled_at).total_seconds() >= 2
    assert len(queue) == 0
    assert queue.scheduled_count() == 0
