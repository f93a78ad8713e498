"""Mailgun's webhooks: `failed` (permanent or temporary) and `complained`, signed in the body.

The `signature` block holds `timestamp`, `token` and `signature`, the hex HMAC-SHA256 of
timestamp + token under the webhook signing key
(https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks);
payloads: https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/webhook-payloads.
A token should be accepted once (the route keeps the ones it saw, for `max_age`).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from evergreen.digits import is_digits
from evergreen.mail.errors import MailInputError
from evergreen.mail.rules.bounces import BounceResult, classify
from evergreen.mail.rules.providers._common import (
    address,
    load_json,
    mapping,
    recipient,
    result,
    status_in,
    text,
)

__all__ = ["parse_mailgun"]


def _verify(block: dict[str, object], key: str, now: datetime, max_age: int) -> None:
    timestamp = text(block.get("timestamp"), "signature.timestamp")
    token = text(block.get("token"), "signature.token")
    given = text(block.get("signature"), "signature.signature")
    if not is_digits(timestamp) or len(timestamp) > 12:
        raise MailInputError("signature.timestamp", "must be a Unix time")
    if abs(now.timestamp() - int(timestamp)) > max_age:
        raise MailInputError("signature.timestamp", f"is more than {max_age} s from now")
    expected = hmac.new(key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, given.lower()):
        raise MailInputError("signature", "does not match the webhook signing key")


def parse_mailgun(
    body: bytes | str, signing_key: str, *, now: datetime, max_age: int = 900
) -> BounceResult:
    """Verify the signature block, then read a failed or complained event."""
    if now.tzinfo is None:
        raise MailInputError("now", "must be an aware time")
    if not signing_key:
        raise MailInputError("signing_key", "set the Mailgun webhook signing key first")
    payload = mapping(load_json(body), "body")
    _verify(mapping(payload.get("signature"), "signature"), signing_key, now, max_age)
    event = mapping(payload.get("event-data"), "event-data")
    kind = text(event.get("event"), "event-data.event")
    email = address(event.get("recipient"), "event-data.recipient")
    if kind == "complained":
        return result([recipient(email, "complaint", "", "complained")], "mailgun")
    if kind != "failed":
        return BounceResult(False)
    severity = text(event.get("severity"), "event-data.severity", required=False)
    delivery = event.get("delivery-status") or {}
    delivery = mapping(delivery, "event-data.delivery-status")
    words = " ".join(
        text(delivery.get(name), f"event-data.delivery-status.{name}", required=False)
        for name in ("enhanced-code", "code", "message", "description")
    ) + " " + text(event.get("reason"), "event-data.reason", required=False)  # fmt: skip
    if severity == "permanent":
        status = status_in(words, "5.0.0")
        bounce = classify(status, words)
    else:
        status, bounce = status_in(words, "4.0.0"), "soft"
    return result([recipient(email, bounce, status, words)], "mailgun")
