"""The task queue: Huey on SQLite in the server process by default, on Redis for worker fleets."""

from __future__ import annotations

import logging
import os
import socket
from datetime import UTC, datetime
from typing import Any

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey
from huey.consumer import Consumer, Scheduler
from huey.storage import RedisStorage
from sqlalchemy.exc import SQLAlchemyError

from evergreen.areas import all_areas
from evergreen.config import Settings
from evergreen.db import Database
from evergreen.periodic import claim_in_database
from evergreen.periodic_runs import RunRecorder, TaskOverview, overview, prune
from evergreen.schedule_words import describe_schedule

__all__ = [
    "EmbeddedConsumer",
    "WorkerConsumer",
    "background_tasks",
    "build_queue",
    "claim_periodic_minute",
    "consumer_for",
    "make_huey",
    "periodic_schedules",
    "server_consumer",
    "worker_consumer",
]

log = logging.getLogger(__name__)
_MINUTE_CLAIM_TTL_S = 3600
_CLAIMANT = f"{socket.gethostname()[:80]}.{os.getpid()}"


def make_huey(settings: Settings, name: str | None = None) -> Huey:
    """Huey on Redis when EVERGREEN_REDIS_URL is set, else on SQLite in the data folder; named
    EVERGREEN_QUEUE_NAME unless `name` says otherwise."""
    name = name or settings.queue_name
    if settings.redis_url:
        return RedisHuey(name, url=settings.redis_url, utc=True)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=str(settings.data_dir / "queue.db"), utc=True)


def claim_periodic_minute(
    queue: Huey, now: datetime | None = None, claims: Database | None = None
) -> bool:
    """Whether this consumer enqueues this minute's periodic tasks: of however many consumers
    ask, only the first does. On Redis it claims the minute there (SET NX, kept an hour); without
    Redis each `serve` has its own queue, and the claim goes to the shared database (`claims`;
    a lone server on SQLite claims alone). A claim the database cannot take is counted won:
    a task may then run twice, never not at all."""
    storage = queue.storage
    minute = (now or datetime.now(UTC)).strftime("%Y%m%d%H%M")
    if isinstance(storage, RedisStorage):
        key = f"evergreen.{queue.name}.periodic.{minute}"
        return bool(storage.conn.set(key, b"1", nx=True, ex=_MINUTE_CLAIM_TTL_S))
    if claims is None:
        return True
    try:
        return claim_in_database(claims, queue.name, minute, _CLAIMANT, datetime.now(UTC))
    except SQLAlchemyError as exc:
        log.warning("could not claim minute %s's periodic tasks (%s): enqueued anyway", minute, exc)
        return True


class OneSchedulerPerMinute(Scheduler):  # type: ignore[misc]
    """Huey's scheduler, but of several consumers only one enqueues a minute's periodic tasks
    (one queue on Redis, or a queue per server claiming in the shared database): any may take
    over when another stops, none runs them twice."""

    claims: Database | None = None
    _asked: str | None = None  # the last minute this scheduler asked for (checks < 60 s apart)

    def enqueue_periodic_tasks(self, now: datetime | None) -> None:
        moment = now or datetime.now(UTC).replace(tzinfo=None)  # naive UTC, as Huey's
        asked = moment.strftime("%Y%m%d%H%M")
        if asked == self._asked:  # claimed or lost at an earlier check of this minute
            return
        self._asked = asked
        if not claim_periodic_minute(self.huey, moment, self.claims):
            self._logger.debug("another consumer enqueues this minute's periodic tasks")
            return
        minute = moment.replace(second=0, microsecond=0)
        for task in self.huey.read_periodic(moment):
            task.eta = minute  # already due; its run's record reads the minute it is for
            try:
                self.huey.enqueue(task)
            except Exception:
                self._logger.exception("could not enqueue periodic task %s", task)
        if self.claims is not None:  # the claimant keeps the record of runs a week long
            prune(self.claims, datetime.now(UTC))


class WorkerConsumer(Consumer):  # type: ignore[misc]
    """A consumer that shares the periodic schedule with the other consumers of its cluster."""

    scheduler_class = OneSchedulerPerMinute

    def __init__(
        self,
        huey: Huey,
        *,
        claims: Database | None = None,
        periodic_check_s: int = 60,
        **options: Any,
    ) -> None:
        # Both read by _create_scheduler, which Consumer.__init__ calls.
        self.claims = claims
        self.periodic_check_s = periodic_check_s
        super().__init__(huey, **options)

    def _create_scheduler(self) -> OneSchedulerPerMinute:
        scheduler: OneSchedulerPerMinute = super()._create_scheduler()
        scheduler.claims = self.claims
        scheduler.periodic_task_seconds = self.periodic_check_s  # Huey's own is 60
        return scheduler


class EmbeddedConsumer(WorkerConsumer):
    """A consumer that runs beside the web server, which keeps ownership of signals."""

    def _set_signal_handlers(self) -> None:
        return None


def consumer_for(
    queue: Huey, workers: int, claims: Database | None = None, **options: Any
) -> EmbeddedConsumer:
    """Threads, not processes: tasks are I/O-bound and share the process's connection pools."""
    return EmbeddedConsumer(queue, claims=claims, workers=workers, worker_type="thread", **options)


def server_consumer(settings: Settings, claims: Database, name: str | None = None) -> Consumer:
    """The queue consumer inside `evergreen serve` (without Redis: its data folder's queue)."""
    return consumer_for(
        build_queue(settings, name),
        settings.queue_workers,
        claims,
        periodic_check_s=settings.periodic_check_s,
    )


def worker_consumer(
    settings: Settings, workers: int, claims: Database, name: str | None = None
) -> Consumer:
    """The consumer `evergreen worker` runs, which handles SIGTERM/SIGINT itself."""
    return WorkerConsumer(
        build_queue(settings, name),
        claims=claims,
        periodic_check_s=settings.periodic_check_s,
        workers=workers,
        worker_type="thread",
    )


def build_queue(settings: Settings, name: str | None = None) -> Huey:
    """The process's queue with every area's tasks registered (the composition root calls it);
    `name` tells apart installations sharing one Redis (and tests)."""
    queue = make_huey(settings, name)
    for area in all_areas():
        if area.tasks is not None:
            area.tasks(queue, settings)
    RunRecorder(settings.sqlalchemy_url).install(queue)
    return queue


def periodic_schedules(settings: Settings) -> dict[str, str]:
    """Every area's periodic task by name, with its schedule in words (read from a queue in
    memory: nothing is connected or enqueued)."""
    queue = MemoryHuey("schedules", utc=True)
    for area in all_areas():
        if area.tasks is not None:
            area.tasks(queue, settings)
    return {
        task.name: describe_schedule(task.validate_datetime)
        for task in queue._registry.periodic_tasks
    }


def background_tasks(settings: Settings, db: Database, now: datetime) -> list[TaskOverview]:
    """Each periodic task with its schedule, last run and runs in the hour before `now`."""
    return overview(db, periodic_schedules(settings), now)
