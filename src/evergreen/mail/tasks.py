"""Queued mail jobs: sending due broadcasts, reading bounces from the Maildir, folding clicks on
mail links into subscribers' activity, forgetting old provider webhook event ids."""

from __future__ import annotations

import logging
import time

from huey import Huey, crontab
from sqlalchemy import exists, select

from evergreen.config import Settings, resolve_secret_key
from evergreen.db import Database, utcnow
from evergreen.mail.errors import MailInputError
from evergreen.mail.models import Broadcast
from evergreen.mail.service import (
    fold_backlog,
    outbox_from_settings,
    poll_maildir,
    prune_hook_events,
    send_due,
    send_in_processes,
)
from evergreen.siteurl import cli_site_url

__all__ = ["register", "run_folding", "run_pruning", "run_sending"]

log = logging.getLogger(__name__)
_RUN_S = 55.0  # a minute's run stops before the next one is enqueued


def _waiting(db: Database) -> bool:
    """Whether a broadcast is sending or scheduled, so mail that cannot go out is news."""
    with db.session(writer=False) as session:
        return bool(
            session.scalar(select(exists().where(Broadcast.status.in_(("sending", "scheduled")))))
        )


def run_sending(db: Database, settings: Settings) -> int:
    """Start due scheduled broadcasts and send what is due for a little under a minute, from
    this thread or from EVERGREEN_MAIL_SENDERS child processes."""
    try:
        outbox = outbox_from_settings(
            settings, resolve_secret_key(settings), cli_site_url(settings).url
        )
    except MailInputError as exc:
        if _waiting(db):  # say so only when something is held back, not every idle minute
            log.warning("mail not sent: %s: %s", exc.field, exc.message)
        return 0
    if settings.mail_senders > 1:
        fleet = send_in_processes(db.url, outbox, settings.mail_senders, run_s=_RUN_S)
        if fleet.lost:
            log.warning(
                "%s of %s sending processes ended without a report; their claimed rows are "
                "taken over after the lease",
                fleet.lost,
                settings.mail_senders,
            )
        return fleet.total.sent
    deadline = time.monotonic() + _RUN_S
    report = send_due(db, outbox, stop=lambda: time.monotonic() > deadline)
    return report.sent


def run_folding(db: Database, settings: Settings, *, run_s: float = _RUN_S) -> int:
    """Fold stored clicks into their recipients' activity, batch after batch while batches come
    full, for at most `run_s`; how many clicks became activity."""
    return fold_backlog(db, resolve_secret_key(settings), run_s=run_s).recorded


def run_pruning(db: Database) -> int:
    """Remove webhook event ids older than every provider's retry window; how many went."""
    with db.session() as session:
        return prune_hook_events(session, utcnow())


def register(queue: Huey, settings: Settings) -> None:
    """Add this area's periodic jobs to the queue."""

    @queue.periodic_task(crontab())  # type: ignore[untyped-decorator]
    def send_broadcasts() -> None:
        """Every minute: start scheduled broadcasts and send due messages (claims keep workers
        apart)."""
        db = Database(settings.sqlalchemy_url)
        try:
            sent = run_sending(db, settings)
            if sent:
                log.info("broadcast messages sent: %s", sent)
        finally:
            db.dispose()

    @queue.periodic_task(crontab())  # type: ignore[untyped-decorator]
    def read_bounces() -> None:
        """Every minute: apply bounces and complaints that reached the Maildir."""
        if settings.mail_bounce_maildir is None:
            return
        db = Database(settings.sqlalchemy_url)
        try:
            done = poll_maildir(db, resolve_secret_key(settings), settings.mail_bounce_maildir)
            if done:
                log.info("bounce messages applied: %s", done)
        finally:
            db.dispose()

    @queue.periodic_task(crontab())  # type: ignore[untyped-decorator]
    def fold_clicks() -> None:
        """Every minute: clicks on mail links become the clickers' `clicked` activity (the mark
        row keeps two workers from folding one click twice)."""
        db = Database(settings.sqlalchemy_url)
        try:
            recorded = run_folding(db, settings)
            if recorded:
                log.info("mail clicks folded into activity: %s", recorded)
        finally:
            db.dispose()

    @queue.periodic_task(crontab(hour="3", minute="41"))  # type: ignore[untyped-decorator]
    def prune_hook_events_daily() -> None:
        """Nightly: forget provider webhook event ids past every retry window (30 days)."""
        db = Database(settings.sqlalchemy_url)
        try:
            removed = run_pruning(db)
            if removed:
                log.info("old webhook event ids removed: %s", removed)
        finally:
            db.dispose()
