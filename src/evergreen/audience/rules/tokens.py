"""Confirmation links of double opt-in: signed with the app secret, expiring, bound to one
subscriber on one list (the same shape as partner invitations: ``<payload>.<signature>``)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from evergreen.audience.errors import AudienceInputError
from evergreen.money import check_utc

__all__ = ["CONFIRM_DAYS", "Confirmation", "confirm_token", "read_confirm_token"]

CONFIRM_DAYS = 7
_PURPOSE = b"audience-confirm:v1:"
_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,200}\.[A-Za-z0-9_-]{1,100}$")
_INVALID = "this confirmation link is not valid; check that it was copied whole"
_EXPIRED = "this confirmation link has expired; sign up again to get a new one"


@dataclass(frozen=True)
class Confirmation:
    """Who a confirmation link is for, and until when it works."""

    subscriber_id: int
    list_id: int
    expires_at: datetime


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _signature(secret: str, payload: str) -> str:
    return _b64(hmac.new(secret.encode(), _PURPOSE + payload.encode(), hashlib.sha256).digest())


def confirm_token(
    secret: str, subscriber_id: int, list_id: int, now: datetime, days: int = CONFIRM_DAYS
) -> tuple[str, datetime]:
    """The signed token and when it expires."""
    if not secret:
        raise AudienceInputError("secret", "is empty; the app secret signs confirmation links")
    expires_at = (check_utc("now", now) + timedelta(days=days)).replace(microsecond=0)
    payload = _b64(f"{subscriber_id}:{list_id}:{int(expires_at.timestamp())}".encode())
    return f"{payload}.{_signature(secret, payload)}", expires_at


def read_confirm_token(secret: str, token: str, now: datetime) -> Confirmation:
    """What a token confirms; refuses altered, malformed and expired ones."""
    token = token.strip()
    if not secret or not _SHAPE.match(token):
        raise AudienceInputError("token", _INVALID)
    payload, signature = token.split(".")
    if not hmac.compare_digest(signature.encode(), _signature(secret, payload).encode()):
        raise AudienceInputError("token", _INVALID)
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
        subscriber_id, list_id, expires = (int(part) for part in raw.split(":"))
        expires_at = datetime.fromtimestamp(expires, UTC)
    except (ValueError, binascii.Error, OverflowError, OSError):
        raise AudienceInputError("token", _INVALID) from None
    if check_utc("now", now) >= expires_at:
        raise AudienceInputError("token", _EXPIRED)
    return Confirmation(subscriber_id, list_id, expires_at)
