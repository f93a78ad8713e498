"""Postmark's bounce and spam-complaint webhooks (JSON, one record a request).

Postmark does not sign webhooks; the URL carries HTTP basic auth instead (set in Postmark's
webhook settings as https://user:password@host/...), checked by `check_basic_auth`.
Record types: https://postmarkapp.com/developer/webhooks/bounce-webhook and
https://postmarkapp.com/developer/webhooks/spam-complaint-webhook; bounce types:
https://postmarkapp.com/developer/api/bounce-api#bounce-types.
"""

from __future__ import annotations

import base64
import binascii
import hmac

from evergreen.mail.errors import MailInputError
from evergreen.mail.rules.bounces import BounceResult, Kind, classify
from evergreen.mail.rules.providers._common import (
    address,
    load_json,
    mapping,
    recipient,
    result,
    status_in,
    text,
)

__all__ = ["check_basic_auth", "parse_postmark"]

_HARD = frozenset({"HardBounce", "BadEmailAddress", "ManuallyDeactivated"})
_SOFT = frozenset({
    "SoftBounce", "Transient", "DnsError", "Blocked", "DMARCPolicy", "Undeliverable",
    "Unknown", "ChallengeVerification", "VirusNotification",
})  # fmt: skip
_COMPLAINT = frozenset({"SpamComplaint", "SpamNotification"})


def check_basic_auth(authorization: str | None, username: str, password: str) -> None:
    """Refuse a request whose `Authorization: Basic …` is not the configured pair."""
    if not username or not password:
        raise MailInputError("postmark", "set a webhook user name and password first")
    scheme, _, encoded = (authorization or "").partition(" ")
    try:
        given = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        given = b""
    expected = f"{username}:{password}".encode()
    if scheme.lower() != "basic" or not hmac.compare_digest(given, expected):
        raise MailInputError("authorization", "is not the webhook's user name and password")


def parse_postmark(body: bytes | str) -> BounceResult:
    """A Bounce or SpamComplaint record; other record and bounce types are not bounces."""
    record = mapping(load_json(body), "body")
    record_type = text(record.get("RecordType"), "RecordType")
    if record_type not in ("Bounce", "SpamComplaint"):
        return BounceResult(False)
    bounce_type = text(record.get("Type"), "Type")
    email = address(record.get("Email"), "Email")
    details = text(record.get("Details"), "Details", required=False)
    words = f"{text(record.get('Description'), 'Description', required=False)} {details}"
    if record_type == "SpamComplaint" or bounce_type in _COMPLAINT:
        return result([recipient(email, "complaint", "", words)], "postmark")
    if bounce_type in _HARD:
        status = status_in(details, "5.0.0")
        kind: Kind = "hard" if status.startswith("5") else classify(status, details)
    elif bounce_type in _SOFT:
        status = status_in(details, "4.0.0")
        kind = "soft"
    else:
        return BounceResult(False)  # AutoResponder, Subscribe, OpenRelayTest and the like
    return result([recipient(email, kind, status, words)], "postmark")
