"""Queued commerce jobs: every five minutes, pending Stripe payments are asked about again, so an
order whose webhook never came (or whose process died mid-way) is completed, never twice; every
minute, supplier orders due are forwarded (email, signed webhook) and failed tries retried."""

from __future__ import annotations

import logging

from huey import Huey, crontab

from evergreen.commerce import service
from evergreen.config import Settings, resolve_secret_key
from evergreen.db import Database, utcnow
from evergreen.mail.transactional import deliver
from evergreen.siteurl import cli_site_url

__all__ = ["register", "run_reconcile"]

log = logging.getLogger(__name__)


def run_reconcile(db: Database, settings: Settings) -> list[service.Applied]:
    """One reconciliation at the real clock; a receipt goes to each order it completed."""
    provider = service.provider_for(settings)
    if provider is None:
        return []
    secret = resolve_secret_key(settings)
    with db.session() as session:
        done = service.reconcile(session, provider, secret, utcnow())
        base = cli_site_url(settings).url
        receipts = [
            service.receipt_mail(session, d.order_number, secret, base)
            for d in done
            if d.newly_paid and d.order_number
        ]
    for message in receipts:  # after the commit: a receipt never names an order not stored
        deliver(settings, message, "order receipt")
    return done


def register(queue: Huey, settings: Settings) -> None:
    """Add this area's periodic jobs to the queue."""

    @queue.periodic_task(crontab(minute="*/5"))  # type: ignore[untyped-decorator]
    def reconcile_payments() -> None:
        """Every five minutes: pending Stripe orders older than five minutes, asked again."""
        db = Database(settings.sqlalchemy_url)
        try:
            done = run_reconcile(db, settings)
            if any(d.changed for d in done):
                log.info("commerce: %s orders reconciled", sum(d.changed for d in done))
        finally:
            db.dispose()

    @queue.periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]
    def forward_supplier_orders() -> None:
        """Every minute: new supplier orders (email, webhook) forwarded, failed tries retried
        once their backoff is over."""
        from evergreen.commerce.service import forwarding

        db = Database(settings.sqlalchemy_url)
        try:
            done = forwarding.forward_due(db, settings, utcnow())
            if done.sent or done.failed:
                log.info("commerce: %s supplier orders sent, %s failed", done.sent, done.failed)
        finally:
            db.dispose()
