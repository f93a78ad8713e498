"""Pure rules of outgoing webhooks: how a payload is signed and verified, when to retry, and
which addresses a delivery may go to."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from evergreen.addresses import Addresses
from evergreen.outbound import refusal
from evergreen.partners.rules.errors import PartnerRuleError
from evergreen.urls import MAX_URL, check_http_url

__all__ = [
    "ALLOW_SETTING",
    "MAX_ATTEMPTS",
    "MAX_URL",
    "SIGNATURE_HEADER",
    "address_refusal",
    "check_url",
    "retry_delay",
    "sign",
    "verify",
]

SIGNATURE_HEADER = "Evergreen-Signature"
MAX_ATTEMPTS = 8
_DELAYS = (60, 300, 1800, 7200, 21600, 43200, 86400)  # seconds after attempt 1, 2, …


def check_url(url: str) -> str:
    """A receiver is an absolute http(s) URL with a host, no credentials and no whitespace."""
    return check_http_url("url", url, PartnerRuleError)


ALLOW_SETTING = "EVERGREEN_WEBHOOK_ALLOW"


def address_refusal(host: str, address: str, allow: Addresses) -> str | None:
    """Why a webhook for `host` may not be sent to `address` (one it resolved to), or None.

    Only public addresses receive webhooks, so an endpoint cannot make the server reach its
    own loopback, private network or cloud metadata service; the owner can allow named hosts
    or networks with EVERGREEN_WEBHOOK_ALLOW (a receiver on the same machine, a test).
    """
    return refusal(host, address, allow, "webhooks", ALLOW_SETTING)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header value: t=<unix time>,v1=<HMAC-SHA256 of "t.body">, as Stripe does."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, now: datetime, tolerance: int = 300) -> bool:
    """What a receiver checks: the MAC matches and the timestamp is recent (no replays)."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now.timestamp() - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def retry_delay(attempts: int) -> timedelta | None:
    """How long to wait after `attempts` failed tries, or None to give up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return timedelta(seconds=_DELAYS[min(attempts, len(_DELAYS)) - 1])
