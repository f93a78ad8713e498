"""The task queue: Huey on SQLite in the server process by default, on Redis for worker fleets."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey
from huey.consumer import Consumer, Scheduler
from huey.storage import RedisStorage

from evergreen.areas import all_areas
from evergreen.config import Settings

__all__ = [
    "EmbeddedConsumer",
    "WorkerConsumer",
    "build_queue",
    "claim_periodic_minute",
    "consumer_for",
    "make_huey",
]

_MINUTE_CLAIM_TTL_S = 3600


def make_huey(settings: Settings, name: str = "evergreen") -> Huey:
    """Huey on Redis when EVERGREEN_REDIS_URL is set, else on SQLite in the data folder."""
    if settings.redis_url:
        return RedisHuey(name, url=settings.redis_url, utc=True)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=str(settings.data_dir / "queue.db"), utc=True)


def claim_periodic_minute(queue: Huey, now: datetime | None = None) -> bool:
    """Whether this consumer enqueues this minute's periodic tasks: on Redis, only the first of
    however many workers asks (SET NX, kept an hour); the SQLite queue has one consumer,
    the one inside `evergreen serve`."""
    storage = queue.storage
    if not isinstance(storage, RedisStorage):
        return True
    minute = (now or datetime.now(UTC)).strftime("%Y%m%d%H%M")
    key = f"evergreen.{queue.name}.periodic.{minute}"
    return bool(storage.conn.set(key, b"1", nx=True, ex=_MINUTE_CLAIM_TTL_S))


class OneSchedulerPerMinute(Scheduler):  # type: ignore[misc]
    """Huey's scheduler, but of several consumers on one queue only one enqueues a minute's
    periodic tasks: any worker may take over when another stops, none runs them twice."""

    def enqueue_periodic_tasks(self, now: datetime | None) -> None:
        if claim_periodic_minute(self.huey, now):
            super().enqueue_periodic_tasks(now)
        else:
            self._logger.debug("another worker enqueues this minute's periodic tasks")


class WorkerConsumer(Consumer):  # type: ignore[misc]
    """A consumer that shares the periodic schedule with the other consumers of its queue."""

    scheduler_class = OneSchedulerPerMinute


class EmbeddedConsumer(WorkerConsumer):
    """A consumer that runs beside the web server, which keeps ownership of signals."""

    def _set_signal_handlers(self) -> None:
        return None


def consumer_for(queue: Huey, workers: int, **options: Any) -> EmbeddedConsumer:
    """Threads, not processes: tasks are I/O-bound and share the process's connection pools."""
    return EmbeddedConsumer(queue, workers=workers, worker_type="thread", **options)


def build_queue(settings: Settings) -> Huey:
    """The process's queue with every area's tasks registered (the composition root calls it)."""
    queue = make_huey(settings)
    for area in all_areas():
        if area.tasks is not None:
            area.tasks(queue, settings)
    return queue
