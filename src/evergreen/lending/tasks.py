"""The daily servicing run: late fees charged on every open loan whose grace period ended,
once per loan and missed payment (a second run the same day charges nothing)."""

from __future__ import annotations

import logging
from datetime import date

from huey import Huey, crontab

from evergreen.config import Settings
from evergreen.db import Database, utcnow
from evergreen.lending import service

__all__ = ["register", "run_late_fees"]

log = logging.getLogger(__name__)


def run_late_fees(db: Database, today: date) -> int:
    """Late fees due by `today` on every open loan, each loan in its own unit of work."""
    with db.session(writer=False) as session:
        ids = service.open_loan_ids(session)
    charged = 0
    for loan_id in ids:
        with db.session() as session:
            charged += len(service.charge_late_fees(session, loan_id, today))
    return charged


def register(queue: Huey, settings: Settings) -> None:
    """Add this area's periodic job to the queue."""

    @queue.periodic_task(crontab(minute="17", hour="6"))  # type: ignore[untyped-decorator]
    def charge_late_fees() -> None:
        """Every day: late fees on payments past their grace period."""
        db = Database(settings.sqlalchemy_url)
        try:
            charged = run_late_fees(db, utcnow().date())
            if charged:
                log.info("lending: %s late fees charged", charged)
        finally:
            db.dispose()
