"""Webhook events applied exactly once: a verified event whose id was seen before is dropped."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Protocol

from evergreen.commerce.payments.provider import Provider
from evergreen.commerce.rules.payments import PaymentEvent

__all__ = ["EventInbox", "MemoryInbox", "receive"]


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


def receive(
    provider: Provider, inbox: EventInbox, payload: bytes, signature: str, now: datetime
) -> PaymentEvent | None:
    """Verify a webhook and return its event, or None when it was already applied (a replay)."""
    event = provider.parse_webhook(payload, signature, now)
    return event if inbox.first_time(provider.name, event.id) else None
