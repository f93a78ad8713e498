"""Queued sequence jobs: the minute's tick that enrols and advances due enrolments."""

from __future__ import annotations

import logging

from huey import Huey, crontab

from evergreen.config import Settings
from evergreen.db import Database, utcnow
from evergreen.sequences.service import Tick, run_due
from evergreen.sequences.service.actions import Performer

__all__ = ["register", "run_tick"]

log = logging.getLogger(__name__)


def run_tick(db: Database, performer: Performer | None = None) -> Tick:
    """One tick at the real clock: queue each due step's send row; the mail area's minute sends
    them (its sender takes sequence messages with the broadcasts), so no outbox here; Notify
    and Webhook actions are performed when a performer is given."""
    return run_due(db, utcnow(), performer=performer)


def register(queue: Huey, settings: Settings) -> None:
    """Add this area's periodic jobs to the queue."""

    @queue.periodic_task(crontab())  # type: ignore[untyped-decorator]
    def advance_sequences() -> None:
        """Every minute: enrol people whose trigger fired and take every due step once (claims
        keep workers apart)."""
        db = Database(settings.sqlalchemy_url)
        try:
            tick = run_tick(db, Performer.from_settings(settings))
            if tick.enrolled or tick.queued or tick.exited or tick.failed:
                log.info(
                    "sequences: %s enrolled, %s queued, %s exited, %s failed",
                    tick.enrolled,
                    tick.queued,
                    tick.exited,
                    tick.failed,
                )
        finally:
            db.dispose()
