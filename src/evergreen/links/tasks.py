"""Queued link jobs: the nightly health check of every destination."""

from __future__ import annotations

import logging

from huey import Huey, crontab

from evergreen.addresses import Addresses
from evergreen.config import Settings
from evergreen.db import Database, utcnow
from evergreen.links.health import check_enabled_links

__all__ = ["register", "run_health_check"]

log = logging.getLogger(__name__)


def run_health_check(db: Database, allow: str = "") -> dict[str, int]:
    """Check every enabled link's destination; returns how many links are in each state."""
    results = check_enabled_links(db, utcnow(), Addresses(allow, names=True))
    tally: dict[str, int] = {}
    for _slug, state, _detail in results:
        tally[state] = tally.get(state, 0) + 1
    return tally


def register(queue: Huey, settings: Settings) -> None:
    """Add this area's periodic jobs to the queue."""

    @queue.periodic_task(crontab(hour="4", minute="17"))  # type: ignore[untyped-decorator]
    def check_link_health() -> None:
        """Nightly: flag broken or redirected-away destinations before readers find them."""
        db = Database(settings.sqlalchemy_url)
        try:
            log.info("link health: %s", run_health_check(db, settings.link_check_allow))
        finally:
            db.dispose()
