"""The signature every webhook Evergreen sends carries (partners' events, sequences' Webhook
steps): `t=<unix time>,v1=<HMAC-SHA256 of "t.body">`, as Stripe signs, and the receiver's check."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

__all__ = ["sign", "verify"]


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header value: t=<unix time>,v1=<HMAC-SHA256 of "t.body">."""
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
