"""SendGrid's event webhook: bounce, dropped and spamreport events, signed with ECDSA.

The signature (`X-Twilio-Email-Event-Webhook-Signature`, base64 DER) is ECDSA P-256 with
SHA-256 over the `X-Twilio-Email-Event-Webhook-Timestamp` value followed by the raw body, under
the public key shown in SendGrid's mail settings (base64 DER): https://www.twilio.com/docs/
sendgrid/for-developers/tracking-events/getting-started-event-webhook-security-features.
Events: https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/event.
Each event is deduplicated by its `sg_event_id` (SendGrid's advice: unique per event where
present), else by a hash of its whole content, always the key of the very event a recipient
was read from.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from evergreen.digits import is_digits
from evergreen.mail.errors import MailInputError
from evergreen.mail.rules.bounces import BounceRecipient, BounceResult, classify
from evergreen.mail.rules.providers._common import (
    MAX_BYTES,
    address,
    load_json,
    mapping,
    recipient,
    result,
    status_in,
    text,
)

__all__ = ["event_key", "parse_sendgrid", "sendgrid_events"]


def _public_key(public_key: str) -> ec.EllipticCurvePublicKey:
    try:
        key = serialization.load_der_public_key(base64.b64decode(public_key, validate=True))
    except (binascii.Error, ValueError):
        raise MailInputError("public_key", "is not SendGrid's base64 verification key") from None
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise MailInputError("public_key", "must be an elliptic-curve key")
    return key


def _verify(body: bytes, signature: str, timestamp: str, key: str, now: datetime, age: int) -> None:
    if not is_digits(timestamp) or len(timestamp) > 12:
        raise MailInputError("timestamp", "must be a Unix time")
    if abs(now.timestamp() - int(timestamp)) > age:
        raise MailInputError("timestamp", f"is more than {age} s from now")
    try:
        raw = base64.b64decode(signature, validate=True)
        _public_key(key).verify(raw, timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    except (binascii.Error, ValueError, InvalidSignature):
        raise MailInputError("signature", "does not match SendGrid's verification key") from None


def _one(event: dict[str, object], index: int) -> BounceRecipient | None:
    where = f"events[{index}]"
    kind = text(event.get("event"), f"{where}.event")
    if kind not in ("bounce", "dropped", "spamreport"):
        return None
    email = address(event.get("email"), f"{where}.email")
    reason = text(event.get("reason"), f"{where}.reason", required=False)
    if kind == "spamreport":
        return recipient(email, "complaint", "", "spamreport")
    if kind == "dropped":
        # Dropped: SendGrid refused to send to an address on one of its suppression lists.
        if "spam" in reason.lower():
            return recipient(email, "complaint", "", reason)
        if "bounce" in reason.lower() or "invalid" in reason.lower():
            return recipient(email, "hard", "5.0.0", reason)
        return None
    status = status_in(text(event.get("status"), f"{where}.status", required=False) + " "
                       + reason, "5.0.0")  # fmt: skip
    if text(event.get("type"), f"{where}.type", required=False) == "blocked":
        return recipient(email, "soft", status, reason)
    return recipient(email, classify(status, reason), status, reason)


def event_key(event: Mapping[str, object]) -> str:
    """The key a retried or replayed event is recognised by: its `sg_event_id`, else a SHA-256
    of its content with sorted keys (the same event in any key order, or resent, hashes alike)."""
    given = event.get("sg_event_id")
    if isinstance(given, (str, int)) and not isinstance(given, bool) and given != "":
        return str(given)
    content = json.dumps(event, sort_keys=True).encode()
    return "sha256:" + hashlib.sha256(content).hexdigest()


def sendgrid_events(
    body: bytes,
    *,
    signature: str | None,
    timestamp: str | None,
    public_key: str,
    now: datetime,
    max_age: int = 900,
) -> list[tuple[str, BounceRecipient]]:
    """Verify the signature over timestamp + body, then each bounce-like event's recipient with
    that same event's key (`event_key`), in the batch's order."""
    if now.tzinfo is None:
        raise MailInputError("now", "must be an aware time")
    if len(body) > MAX_BYTES:
        raise MailInputError("body", f"is larger than {MAX_BYTES // 1024} KB")
    if not signature or not timestamp:
        raise MailInputError("signature", "the request is not signed")
    _verify(body, signature, timestamp, public_key, now, max_age)
    events = load_json(body)
    if not isinstance(events, list):
        raise MailInputError("body", "must be a JSON array of events")
    found = []
    for index, raw in enumerate(events):
        event = mapping(raw, f"events[{index}]")
        read = _one(event, index)
        if read is not None:
            found.append((event_key(event), read))
    return found


def parse_sendgrid(
    body: bytes,
    *,
    signature: str | None,
    timestamp: str | None,
    public_key: str,
    now: datetime,
    max_age: int = 900,
) -> BounceResult:
    """Verify the signature over timestamp + body, then read every bounce-like event."""
    found = sendgrid_events(
        body,
        signature=signature,
        timestamp=timestamp,
        public_key=public_key,
        now=now,
        max_age=max_age,
    )
    return result([read for _, read in found], "sendgrid")
