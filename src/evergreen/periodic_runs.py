"""Each run of a periodic task, recorded where every server can read it: the owner sees that
a cluster's periodic tasks run, and run once, without reading every machine's logs."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from huey import Huey, signals
from huey.api import PeriodicTask, Task
from sqlalchemy import Index, Integer, String, delete, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from evergreen.db import Base, Database

__all__ = [
    "KEPT",
    "PROCESS",
    "PeriodicRun",
    "RunRecorder",
    "TaskOverview",
    "overview",
    "prune",
]

log = logging.getLogger(__name__)
KEPT = timedelta(days=7)  # runs older than this are deleted by the process that claims a minute
PROCESS = f"{socket.gethostname()[:80]}:{os.getpid()}"

# Signals that end a run other than by completing, and the reason shown for each.
_ENDED = {
    signals.SIGNAL_ERROR: "",
    signals.SIGNAL_TIMEOUT: "timed out",
    signals.SIGNAL_LOCKED: "not run: another run holds its lock",
    signals.SIGNAL_CANCELED: "canceled",
    signals.SIGNAL_RATE_LIMITED: "rate limited",
    signals.SIGNAL_INTERRUPTED: "interrupted: the process stopped",
}


class PeriodicRun(Base):
    """One run of a periodic task: for which minute, in which process, how it ended."""

    __tablename__ = "periodic_runs"
    __table_args__ = (Index("ix_periodic_runs_task_minute", "task", "minute"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task: Mapped[str] = mapped_column(String(200))
    minute: Mapped[datetime]  # the minute it was scheduled for, UTC
    process: Mapped[str] = mapped_column(String(100))  # host:pid
    started_at: Mapped[datetime] = mapped_column(index=True)
    finished_at: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(String(8))  # ok | error
    reason: Mapped[str] = mapped_column(String(300), default="")
    duration_ms: Mapped[int] = mapped_column(Integer)


def _scheduled_minute(task: Task, started: datetime) -> datetime:
    """The minute the scheduler stamped on the task (its eta), else the minute it started."""
    eta = task.eta if isinstance(task.eta, datetime) else None
    moment = eta.replace(tzinfo=UTC) if eta is not None and eta.tzinfo is None else eta
    return (moment or started).replace(second=0, microsecond=0)


def _reason(signal: str, exc: BaseException | None) -> str:
    if exc is None:
        return _ENDED[signal]
    words = f"{type(exc).__name__}: {exc}".strip().splitlines()
    return (words[0] if words else type(exc).__name__)[:300]


class RunRecorder:
    """A Huey signal handler writing a row for each run of a periodic task; a row it cannot
    write is logged, never raised into the task or the consumer."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self._started: dict[str, tuple[datetime, float]] = {}
        self._lock = threading.Lock()

    def install(self, queue: Huey) -> None:
        """Listen to the queue's start and end signals."""
        queue.signal(signals.SIGNAL_EXECUTING, signals.SIGNAL_COMPLETE, *_ENDED)(self)

    def __call__(self, signal: str, task: Task, *args: Any) -> None:
        if not isinstance(task, PeriodicTask):
            return
        if signal == signals.SIGNAL_EXECUTING:
            with self._lock:
                self._started[task.id] = (datetime.now(UTC), time.monotonic())
            return
        with self._lock:
            started, clock = self._started.pop(task.id, (datetime.now(UTC), time.monotonic()))
        exc = args[0] if args and isinstance(args[0], BaseException) else None
        run = PeriodicRun(
            task=task.name[:200],
            minute=_scheduled_minute(task, started),
            process=PROCESS,
            started_at=started,
            finished_at=datetime.now(UTC),
            outcome="ok" if signal == signals.SIGNAL_COMPLETE else "error",
            reason="" if signal == signals.SIGNAL_COMPLETE else _reason(signal, exc),
            duration_ms=round((time.monotonic() - clock) * 1000),
        )
        self._write(run)

    def _write(self, run: PeriodicRun) -> None:
        try:
            db = Database(self.database_url)
            try:
                with db.session() as session:
                    session.add(run)
            finally:
                db.dispose()
        except Exception as exc:  # recording must never break a task or its consumer
            log.warning("could not record the run of periodic task %s: %s", run.task, exc)


def prune(db: Database, now: datetime) -> int:
    """Delete runs older than KEPT; how many went (a failure is logged: the next claim retries)."""
    try:
        with db.session() as session:
            done = session.execute(delete(PeriodicRun).where(PeriodicRun.started_at < now - KEPT))
            return int(getattr(done, "rowcount", 0) or 0)
    except SQLAlchemyError as exc:
        log.warning("could not delete old periodic runs: %s", exc)
        return 0


@dataclass(frozen=True)
class TaskOverview:
    """A periodic task's schedule, its last run and how many runs the last hour saw."""

    name: str
    schedule: str
    last: PeriodicRun | None
    last_hour: int

    def as_json(self) -> dict[str, Any]:
        """The plain values `evergreen tasks --json` prints."""
        last = self.last
        return {
            "task": self.name,
            "schedule": self.schedule,
            "runs_last_hour": self.last_hour,
            "last_run": None
            if last is None
            else {
                "minute": last.minute.isoformat(),
                "started_at": last.started_at.isoformat(),
                "finished_at": last.finished_at.isoformat(),
                "process": last.process,
                "outcome": last.outcome,
                "reason": last.reason,
                "duration_ms": last.duration_ms,
            },
        }


def overview(db: Database, schedules: dict[str, str], now: datetime) -> list[TaskOverview]:
    """Each scheduled task, by name, with its last run and its runs in the hour before `now`."""
    with db.session() as session:
        latest = (
            select(PeriodicRun.task, func.max(PeriodicRun.started_at).label("at"))
            .group_by(PeriodicRun.task)
            .subquery()
        )
        lasts = {
            run.task: run
            for run in session.scalars(
                select(PeriodicRun).join(
                    latest,
                    (latest.c.task == PeriodicRun.task) & (latest.c.at == PeriodicRun.started_at),
                )
            )
        }
        recent = (
            select(PeriodicRun.task, func.count())
            .where(PeriodicRun.started_at >= now - timedelta(hours=1))
            .group_by(PeriodicRun.task)
        )
        counts: dict[str, int] = dict(session.execute(recent).all())
        session.expunge_all()
    return [
        TaskOverview(name, schedule, lasts.get(name), int(counts.get(name, 0)))
        for name, schedule in sorted(schedules.items())
    ]
