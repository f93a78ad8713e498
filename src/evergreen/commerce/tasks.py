"""Queued commerce jobs: every five minutes, pending Stripe payments are asked about again, so an
order whose webhook never came (or whose process died mid-way) is completed, never twice, and
paid orders whose Stripe fee was not known yet learn it (posted to the ledger once); every
fifteen minutes, due subscriptions are renewed (dunning mails after the commit). Every
minute, supplier orders due are forwarded (email, signed webhook) and failed tries retried."""

from __future__ import annotations

import logging
from datetime import datetime

from huey import Huey, crontab

from evergreen.commerce import service
from evergreen.config import Settings, resolve_secret_key
from evergreen.db import Database, utcnow
from evergreen.mail.transactional import deliver
from evergreen.siteurl import cli_site_url

__all__ = ["register", "run_fees", "run_reconcile", "run_renewals"]

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


def run_fees(db: Database, settings: Settings) -> list[str]:
    """Paid Stripe orders whose fee Stripe had not stated yet, asked again; the numbers of
    those whose fee (and its ledger entry) was recorded now."""
    provider = service.provider_for(settings)
    if provider is None:
        return []
    with db.session() as session:
        return service.fill_fees(session, provider, utcnow())


def run_renewals(
    db: Database, settings: Settings, now: datetime | None = None
) -> list[service.subscriptions.Renewed]:
    """Renew every due subscription, each in its own unit of work (locked, so two runs at once
    charge a period once); a reminder mail goes after the commit for each failed charge."""
    provider = service.provider_for(settings)
    secret = resolve_secret_key(settings)
    moment = now or utcnow()
    base = cli_site_url(settings).url
    subs = service.subscriptions
    with db.session(writer=False) as session:
        ids = subs.due_ids(session, moment)
    done = []
    for subscription_id in ids:
        with db.session() as session:
            result = subs.renew_one(
                session, provider, subscription_id, secret, moment, settings.subscription_grace_days
            )
            mails = []
            if result.order_number and result.outcome == "paid":
                mails.append(service.receipt_mail(session, result.order_number, secret, base))
            if result.remind:
                reason = result.message
                mails.append(
                    subs.reminder_mail(session, subscription_id, reason, secret, base, moment)
                )
        for message in mails:
            deliver(settings, message, "subscription mail")
        done.append(result)
    return done


def register(queue: Huey, settings: Settings) -> None:
    """Add this area's periodic jobs to the queue."""

    @queue.periodic_task(crontab(minute="*/5"))  # type: ignore[untyped-decorator]
    def reconcile_payments() -> None:
        """Every five minutes: pending Stripe orders older than five minutes, asked again, and
        the fees Stripe had not stated yet."""
        db = Database(settings.sqlalchemy_url)
        try:
            done = run_reconcile(db, settings)
            if any(d.changed for d in done):
                log.info("commerce: %s orders reconciled", sum(d.changed for d in done))
            fees = run_fees(db, settings)
            if fees:
                log.info("commerce: payment fees learned for %s orders", len(fees))
        finally:
            db.dispose()

    @queue.periodic_task(crontab(minute="*/15"))  # type: ignore[untyped-decorator]
    def renew_subscriptions() -> None:
        """Every fifteen minutes: due subscriptions charged, retried or ended."""
        db = Database(settings.sqlalchemy_url)
        try:
            done = run_renewals(db, settings)
            if done:
                log.info("commerce: %s subscriptions renewed or dunned", len(done))
            with db.session() as session:  # the MRR page's snapshot, warm for the owner
                service.subscriptions.mrr_page(session, utcnow())
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
