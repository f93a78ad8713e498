"""Queued partner jobs: approving commissions whose holding period has passed."""

from __future__ import annotations

import logging

from huey import crontab

from evergreen.config import get_settings
from evergreen.db import Database, utcnow
from evergreen.jobs import huey
from evergreen.partners.lifecycle import approve_due
from evergreen.partners.service import default_program
from evergreen.partners.webhooks import deliver_due

__all__ = ["approve_held_commissions", "deliver_webhooks", "run_approvals"]

log = logging.getLogger(__name__)


def run_approvals(db: Database) -> int:
    """Approve every commission past its holding period; returns how many."""
    with db.session() as session:
        return approve_due(session, default_program(session), utcnow())


@huey.periodic_task(crontab(minute="7"))  # type: ignore[untyped-decorator]
def approve_held_commissions() -> None:
    """Hourly: commissions become approved as soon as their holding period ends."""
    db = Database(get_settings().sqlalchemy_url)
    try:
        log.info("commissions approved: %s", run_approvals(db))
    finally:
        db.dispose()


@huey.periodic_task(crontab())  # type: ignore[untyped-decorator]
def deliver_webhooks() -> None:
    """Every minute: deliver due webhook events, retrying failures with backoff."""
    db = Database(get_settings().sqlalchemy_url)
    try:
        with db.session() as session:
            delivered, failed = deliver_due(session, utcnow())
        if delivered or failed:
            log.info("webhooks: %s delivered, %s failed attempts", delivered, failed)
    finally:
        db.dispose()
