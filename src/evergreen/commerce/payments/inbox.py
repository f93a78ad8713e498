"""Webhook events applied exactly once: a verified event whose id was seen before is dropped."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from evergreen.commerce.models import InboxEvent
from evergreen.commerce.payments.provider import Provider
from evergreen.commerce.rules.payments import PaymentEvent

__all__ = ["EventInbox", "MemoryInbox", "TableInbox", "receive"]


class EventInbox(Protocol):
    """Remembers which provider events were applied (the orders slice keeps it in a table)."""

    def first_time(self, provider: str, event_id: str) -> bool:
        """Record the event; True only the first time it is seen."""
        ...


class MemoryInbox:
    """An in-process inbox for tests and single-process use; a table replaces it in orders."""

    def __init__(self) -> None:
        self._seen: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def first_time(self, provider: str, event_id: str) -> bool:
        """Record the event; True only the first time it is seen."""
        with self._lock:
            if (provider, event_id) in self._seen:
                return False
            self._seen.add((provider, event_id))
            return True


class TableInbox:
    """The inbox as rows of commerce_payment_events, written in the caller's transaction: the
    event counts as applied only if the order change it caused commits with it."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def first_time(self, provider: str, event_id: str) -> bool:
        """Record the event; True only the first time it is seen."""
        return self._insert(
            InboxEvent(provider=provider[:20], event_id=event_id[:255], kind="event")
        )

    def record(self, provider: str, event: PaymentEvent) -> bool:
        """Record a parsed event with what it was about; True only the first time."""
        row = InboxEvent(
            provider=provider[:20], event_id=event.id[:255], kind=event.kind.value[:30],
            payment_id=(event.payment_id or "")[:255] or None, amount_cents=event.amount,
        )  # fmt: skip
        return self._insert(row)

    def seen(self, provider: str, event_id: str) -> bool:
        """Whether the event was applied already: one indexed read, fit for a reader session
        (a replay then never queues for the write lock)."""
        found = select(InboxEvent.id).where(
            InboxEvent.provider == provider[:20], InboxEvent.event_id == event_id[:255]
        )
        return self._session.scalar(found) is not None

    def _insert(self, row: InboxEvent) -> bool:
        """A row already there (or inserted meanwhile by another session) means a replay."""
        if self.seen(row.provider, row.event_id):  # no write, no savepoint
            return False
        try:
            with self._session.begin_nested():
                self._session.add(row)
                self._session.flush()
        except IntegrityError:
            return False
        return True


def receive(
    provider: Provider, inbox: EventInbox, payload: bytes, signature: str, now: datetime
) -> PaymentEvent | None:
    """Verify a webhook and return its event, or None when it was already applied (a replay)."""
    event = provider.parse_webhook(payload, signature, now)
    return event if inbox.first_time(provider.name, event.id) else None
