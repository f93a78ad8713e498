"""The daily servicing run: late fees charged on every open loan whose grace period ended,
once per loan and missed payment (a second run the same day charges nothing), each with a late
notice mailed to the borrower after its unit of work commits."""

from __future__ import annotations

import logging
from datetime import date

from huey import Huey, crontab

from evergreen.config import Settings
from evergreen.db import Database, utcnow
from evergreen.lending import service
from evergreen.lending.rules import late_fee_day
from evergreen.mail.transactional import deliver
from evergreen.siteurl import cli_site_url

__all__ = ["register", "run_late_fees"]

log = logging.getLogger(__name__)


def run_late_fees(db: Database, today: date, settings: Settings | None = None) -> int:
    """Late fees due by `today` (not after the real today) on every open loan, each loan in its
    own unit of work; with `settings`, a late notice for each fee charged, sent once stored."""
    late_fee_day(today, utcnow().date())  # refused before any loan, even with none open
    base = cli_site_url(settings).url if settings is not None else ""
    with db.session(writer=False) as session:
        ids = service.open_loan_ids(session)
    charged = 0
    for loan_id in ids:
        with db.session() as session:
            fees = service.charge_late_fees(session, loan_id, today)
            notices = [service.late_notice(session, fee, base) for fee in fees] if base else []
        charged += len(fees)
        for notice in notices:
            if notice is not None and settings is not None:
                deliver(settings, notice, "late notice")
    return charged


def register(queue: Huey, settings: Settings) -> None:
    """Add this area's periodic job to the queue."""

    @queue.periodic_task(crontab(minute="17", hour="6"))  # type: ignore[untyped-decorator]
    def charge_late_fees() -> None:
        """Every day: late fees on payments past their grace period."""
        db = Database(settings.sqlalchemy_url)
        try:
            charged = run_late_fees(db, utcnow().date(), settings)
            if charged:
                log.info("lending: %s late fees charged", charged)
        finally:
            db.dispose()
