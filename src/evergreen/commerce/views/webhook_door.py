"""Stripe's webhook replays answered before middleware and routing.

Stripe retries an event until it gets a 2xx, and replays (a retry, a resend from its dashboard,
a flood) are most of what a busy webhook address receives. A verified event already in the inbox
is answered here from one indexed read, and from memory once this process has seen it answered so
(the inbox only ever grows: an event applied stays applied). Everything else (a new event, a
refused signature, an oversized or unreadable body, a database error) goes on to the route in
views/webhooks.py with the body read here given again, so the route stays the one place that
writes and words errors.
"""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.types import Message, Receive, Scope, Send

from evergreen.areas import DoorResponse
from evergreen.commerce import service
from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.payments import Provider
from evergreen.commerce.views.webhooks import MAX_EVENT_BYTES, PATH, replay_answer, replayed
from evergreen.config import Settings
from evergreen.db import Database, utcnow
from evergreen.digits import is_digits

__all__ = ["StripeWebhookDoor"]

log = logging.getLogger(__name__)
_REMEMBERED = 100_000  # event IDs known applied; about 10 MB at most, then forgotten at once
_HEADERS = [
    (b"content-type", b"application/json"),
    (b"cache-control", b"no-store"),
    (b"x-content-type-options", b"nosniff"),
]


class StripeWebhookDoor:
    """Answers replays of POST /commerce/webhooks/stripe; hands every other request on."""

    def __init__(self, settings: Settings, db: Database) -> None:
        self.db = db
        self.applied: set[str] = set()
        self.provider: Provider | None = None
        if settings.stripe_webhook_secret is not None:
            self.provider = service.provider_for(settings)

    def match(self, scope: Scope) -> str | None:
        """ "stripe" for a POST to the webhook address while Stripe is configured."""
        if self.provider is None or scope["method"] != "POST" or scope["path"] != PATH:
            return None
        return "stripe"

    def answer_now(self, scope: Scope, key: str) -> DoorResponse | None:
        """Never at once: a replay is known only from its body."""
        return None

    def commit(self) -> None:
        """Nothing decided here waits to be kept."""

    async def answer(self, scope: Scope, receive: Receive, send: Send, key: str) -> Receive | None:
        """A replay's 200, or None sent and the request handed on with its body given again."""
        messages, whole = await _read(scope, receive)
        if whole:
            body = await self._replay(scope, b"".join(m.get("body", b"") for m in messages))
            if body is not None:
                await send({"type": "http.response.start", "status": 200, "headers": _HEADERS})
                await send({"type": "http.response.body", "body": body})
                return None
        return _again(messages, receive)

    async def _replay(self, scope: Scope, payload: bytes) -> bytes | None:
        """The answer to a verified event seen before, or None for the route to decide."""
        assert self.provider is not None
        signature = ""
        for name, value in scope["headers"]:
            if name == b"stripe-signature":
                signature = value[:2000].decode("latin-1")
                break
        try:
            event = self.provider.parse_webhook(payload, signature, utcnow())
        except CommerceInputError:
            return None  # the route says what is wrong
        if event.id in self.applied:
            return replay_answer(service.replay_outcome(event))
        try:
            done = await run_in_threadpool(replayed, self.db, self.provider, event)
        except Exception:  # the route answers a database failure (503, Stripe retries)
            log.warning("webhook replay lookup failed; handed to the route", exc_info=True)
            return None
        if done is None:
            return None
        if len(self.applied) >= _REMEMBERED:
            self.applied.clear()
        self.applied.add(event.id)
        return replay_answer(done)


async def _read(scope: Scope, receive: Receive) -> tuple[list[Message], bool]:
    """The messages read, and whether they hold the whole body (not past the route's limit, nor
    cut by a disconnect: the route then answers from the same messages and the rest)."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            if not is_digits(value) or int(value) > MAX_EVENT_BYTES:
                return [], False
            break
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages, False
        size += len(message.get("body", b""))
        if size > MAX_EVENT_BYTES:
            return messages, False
        if not message.get("more_body", False):
            return messages, True


def _again(messages: list[Message], receive: Receive) -> Receive:
    """A `receive` that gives the messages already read, then the client's own."""
    pending = list(messages)

    async def onward() -> Message:
        return pending.pop(0) if pending else await receive()

    return onward
