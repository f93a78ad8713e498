"""Queued network jobs: earnings reported before their click landed are matched once it does."""

from __future__ import annotations

import logging

from huey import Huey, crontab

from evergreen.config import Settings
from evergreen.db import Database, utcnow
from evergreen.links.queries import SpooledClicks
from evergreen.networks.service import match_late_clicks

__all__ = ["register", "run_late_matching"]

log = logging.getLogger(__name__)


def run_late_matching(db: Database, settings: Settings) -> int:
    """Match earnings whose click landed after their postback; returns how many."""
    with db.session() as session:
        return match_late_clicks(session, utcnow(), spooled=SpooledClicks.of(settings))


def register(queue: Huey, settings: Settings) -> None:
    """Add this area's periodic jobs to the queue."""

    @queue.periodic_task(crontab())  # type: ignore[untyped-decorator]
    def match_late_earnings() -> None:
        """Every minute: an earning reported before its click landed is matched once it does."""
        db = Database(settings.sqlalchemy_url)
        try:
            done = run_late_matching(db, settings)
            if done:
                log.info("earnings matched after their click landed: %s", done)
        finally:
            db.dispose()
