"""Each minute's periodic tasks are enqueued once per cluster: two servers and two workers built
as `evergreen serve` and `evergreen worker` build them, asking about the same minute, enqueue one
set, on Redis (one queue) and without it (a queue per server, the claim in the shared database)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from huey import Huey
from huey.consumer import Consumer
from sqlalchemy import select

from evergreen.config import Settings
from evergreen.db import Database
from evergreen.jobs import (
    build_queue,
    claim_periodic_minute,
    consumer_for,
    make_huey,
    server_consumer,
    worker_consumer,
)
from evergreen.periodic import PeriodicClaim, claim_in_database
from tests.conftest import require_service

MIDNIGHT = datetime(2026, 3, 1, 0, 0)  # naive UTC, as Huey's scheduler passes it: daily tasks too


def _cluster(settings: list[Settings], claims: Database, name: str) -> list[Consumer]:
    """Two servers' consumers and two workers', each on its own settings (data folder)."""
    servers = [server_consumer(each, claims, name) for each in settings[:2]]
    workers = [worker_consumer(each, 1, claims, name) for each in settings[2:]]
    return [*servers, *workers]


def _periodic_enqueued(queue: Huey, names: set[str]) -> int:
    return sum(task.name in names for task in queue.pending())


def _ask(consumers: list[Consumer], now: datetime) -> list[int]:
    """Each consumer's scheduler checks the minute, as its loop does; periodic tasks enqueued
    in each consumer's queue."""
    names = {task.name for task in consumers[0].huey.read_periodic(now)}
    assert names, "no periodic task is due at midnight: nothing would be checked"
    for consumer in consumers:
        consumer._create_scheduler().enqueue_periodic_tasks(now)
    return [_periodic_enqueued(consumer.huey, names) for consumer in consumers]


@pytest.fixture
def claims(database_url: str) -> Iterator[Database]:
    """The shared database the servers claim minutes in (SQLite and PostgreSQL)."""
    database = Database(database_url)
    yield database
    database.dispose()


def test_without_redis_two_servers_and_two_workers_enqueue_one_set_a_minute(
    claims: Database, database_url: str, tmp_path: Path
) -> None:
    settings = [
        Settings(data_dir=tmp_path / name, database_url=database_url)
        for name in ("web1", "web2", "worker1", "worker2")
    ]
    consumers = _cluster(settings, claims, "evergreen")
    due = len(consumers[0].huey.read_periodic(MIDNIGHT))
    first = _ask(consumers, MIDNIGHT)
    assert sorted(first) == [0, 0, 0, due]
    # The next minute is claimed afresh: again one set, whoever asks first.
    for consumer in consumers:
        consumer.huey.flush()
    later = MIDNIGHT + timedelta(minutes=1)
    second = _ask(list(reversed(consumers)), later)
    assert sorted(second) == [0, 0, 0, len(consumers[0].huey.read_periodic(later))]
    with claims.session() as session:
        minutes = session.scalars(select(PeriodicClaim.minute).order_by(PeriodicClaim.minute))
        assert list(minutes) == ["202603010000", "202603010001"]


@pytest.mark.redis
def test_on_redis_two_servers_and_two_workers_enqueue_one_set_a_minute(
    claims: Database, tmp_path: Path
) -> None:
    redis_url = require_service("EVERGREEN_TEST_REDIS_URL")
    name = f"test-{uuid.uuid4().hex[:8]}"
    settings = [
        Settings(data_dir=tmp_path / folder, redis_url=redis_url)
        for folder in ("web1", "web2", "worker1", "worker2")
    ]
    consumers = _cluster(settings, claims, name)
    try:
        due = len(consumers[0].huey.read_periodic(MIDNIGHT))
        # One queue: each consumer sees the same set, enqueued once.
        assert _ask(consumers, MIDNIGHT) == [due] * 4
    finally:
        consumers[0].huey.flush()
    with claims.session() as session:  # Redis holds the claim: the database is not asked
        assert session.scalars(select(PeriodicClaim)).all() == []


def test_a_lone_server_enqueues_every_minute_and_old_claims_are_deleted(
    claims: Database, tmp_path: Path
) -> None:
    queue = make_huey(Settings(data_dir=tmp_path), name="evergreen")
    for minute in range(3):
        assert claim_periodic_minute(queue, MIDNIGHT + timedelta(minutes=minute), claims)
    assert not claim_periodic_minute(queue, MIDNIGHT, claims)
    now = datetime.now(UTC)
    assert claim_in_database(claims, "evergreen", "209901010000", "here", now)
    assert claim_in_database(claims, "evergreen", "209901010001", "here", now + timedelta(hours=2))
    with claims.session() as session:
        assert list(session.scalars(select(PeriodicClaim.minute))) == ["209901010001"]


def test_a_claim_the_database_cannot_take_is_counted_won(tmp_path: Path) -> None:
    """Better a periodic task twice than a day's task never (the database away a moment)."""
    away = Database(f"sqlite:///{tmp_path / 'missing' / 'evergreen.db'}")
    try:
        queue = make_huey(Settings(data_dir=tmp_path), name="evergreen")
        assert claim_periodic_minute(queue, MIDNIGHT, away)
    finally:
        away.dispose()


def test_checks_more_often_than_a_minute_still_enqueue_each_minute_once(
    claims: Database, tmp_path: Path
) -> None:
    """EVERGREEN_PERIODIC_CHECK_S reaches both consumers' schedulers, and a scheduler that
    checks several times a minute asks for that minute once, even with nobody to claim it from."""
    settings = [
        Settings(data_dir=tmp_path / name, periodic_check_s=5) for name in ("web1", "worker1")
    ]
    consumers = _cluster(settings[:1] * 2 + settings[1:] * 2, claims, "evergreen")
    schedulers = [consumer._create_scheduler() for consumer in consumers]
    assert [each.periodic_task_seconds for each in schedulers] == [5] * 4
    assert Settings(data_dir=tmp_path).periodic_check_s == 60  # Huey's own pace by default
    alone = consumer_for(build_queue(Settings(data_dir=tmp_path / "alone")), 1)  # no claims
    scheduler = alone._create_scheduler()
    names = {task.name for task in alone.huey.read_periodic(MIDNIGHT)}
    for second in (0, 5, 30, 59):  # one minute, asked four times
        scheduler.enqueue_periodic_tasks(MIDNIGHT + timedelta(seconds=second))
    assert _periodic_enqueued(alone.huey, names) == len(names)
    later = MIDNIGHT + timedelta(minutes=1, seconds=5)
    scheduler.enqueue_periodic_tasks(later)
    again = {task.name for task in alone.huey.read_periodic(later)}
    assert _periodic_enqueued(alone.huey, names | again) == len(names) + len(again)
