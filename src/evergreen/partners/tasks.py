"""Queued partner jobs: approvals after the holding period, conversions whose click landed
late, webhook deliveries, payout notices not yet mailed."""

from __future__ import annotations

import logging

from huey import Huey, crontab

from evergreen.addresses import Addresses
from evergreen.config import Settings
from evergreen.db import Database, utcnow
from evergreen.links.queries import SpooledClicks
from evergreen.partners.service import attribute_late_clicks, default_program
from evergreen.partners.service.lifecycle import approve_due
from evergreen.partners.service.payout_notices import send_due_notices
from evergreen.partners.service.webhooks import deliver_due, http_sender

__all__ = ["register", "run_approvals", "run_deliveries", "run_late_attribution"]

log = logging.getLogger(__name__)


def run_approvals(db: Database) -> int:
    """Approve every commission past its holding period; returns how many."""
    with db.session() as session:
        return approve_due(session, default_program(session), utcnow())


def run_late_attribution(db: Database, settings: Settings) -> int:
    """Attribute conversions whose click landed after them; returns how many."""
    with db.session() as session:
        program = default_program(session)
        return attribute_late_clicks(session, program, utcnow(), spooled=SpooledClicks.of(settings))


def run_deliveries(db: Database, allow: str = "") -> tuple[int, int]:
    """Deliver due webhook events (to public addresses, and those the owner allows); returns
    (delivered, failed attempts)."""
    send = http_sender(Addresses(allow, names=True))
    with db.session() as session:
        return deliver_due(session, utcnow(), send)


def register(queue: Huey, settings: Settings) -> None:
    """Add this area's periodic jobs to the queue."""

    @queue.periodic_task(crontab(minute="7"))  # type: ignore[untyped-decorator]
    def approve_held_commissions() -> None:
        """Hourly: commissions become approved as soon as their holding period ends."""
        db = Database(settings.sqlalchemy_url)
        try:
            if approved := run_approvals(db):  # an idle hour is not news
                log.info("commissions approved: %s", approved)
        finally:
            db.dispose()

    @queue.periodic_task(crontab())  # type: ignore[untyped-decorator]
    def attribute_late_conversions() -> None:
        """Every minute: conversions that arrived before their click earn once it lands."""
        db = Database(settings.sqlalchemy_url)
        try:
            done = run_late_attribution(db, settings)
            if done:
                log.info("conversions attributed after their click landed: %s", done)
        finally:
            db.dispose()

    @queue.periodic_task(crontab())  # type: ignore[untyped-decorator]
    def send_payout_notices() -> None:
        """Every minute: payout notices not mailed yet (mail was down, or not set up yet)."""
        db = Database(settings.sqlalchemy_url)
        try:
            sent, missed = send_due_notices(db, settings)
            if sent or missed:
                log.info("payout notices: %s sent, %s not sent", sent, missed)
        finally:
            db.dispose()

    @queue.periodic_task(crontab())  # type: ignore[untyped-decorator]
    def deliver_webhooks() -> None:
        """Every minute: deliver due webhook events, retrying failures with backoff."""
        db = Database(settings.sqlalchemy_url)
        try:
            delivered, failed = run_deliveries(db, settings.webhook_allow)
            if delivered or failed:
                log.info("webhooks: %s delivered, %s failed attempts", delivered, failed)
        finally:
            db.dispose()
