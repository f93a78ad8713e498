"""The task queue: Huey on SQLite in the server process by default, on Redis for worker fleets."""

from __future__ import annotations

from typing import Any

from huey import Huey, RedisHuey, SqliteHuey
from huey.consumer import Consumer

from evergreen.areas import all_areas
from evergreen.config import Settings

__all__ = ["EmbeddedConsumer", "build_queue", "consumer_for", "make_huey"]


def make_huey(settings: Settings, name: str = "evergreen") -> Huey:
    """Huey on Redis when EVERGREEN_REDIS_URL is set, else on SQLite in the data folder."""
    if settings.redis_url:
        return RedisHuey(name, url=settings.redis_url, utc=True)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=str(settings.data_dir / "queue.db"), utc=True)


class EmbeddedConsumer(Consumer):  # type: ignore[misc]
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
