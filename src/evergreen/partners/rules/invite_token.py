"""Portal invitations: a signed, expiring link so the owner never learns a partner's password.

A token is ``<payload>.<signature>``, both URL-safe base64 without padding. The payload holds
the partner id, the expiry (Unix seconds) and the email; the signature is HMAC-SHA256 of the
encoded payload with the app secret, so changing any character of the link breaks it. A link
is used once because it is bound to the email: after the account exists, accepting is refused.
A link made with a nonce (v2) also names the partner's current invitation, so inviting again
makes the earlier link useless; links without one (v1, made before re-invitations) still read.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from evergreen.money import check_utc
from evergreen.partners.rules.errors import PartnerRuleError

__all__ = [
    "INVITE_DAYS",
    "Invite",
    "InviteError",
    "invite_expiry",
    "invite_token",
    "invite_url",
    "read_invite",
]

INVITE_DAYS = 7
_PURPOSE = b"partner-invite:v1:"
_PURPOSE_V2 = b"partner-invite:v2:"
_NONCE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_MAX_TOKEN = 1000
_SHAPE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")
_INVALID = "this link is not valid; check that it was copied whole, or ask for a new invitation"
_EXPIRED = "this invitation has expired; ask the program owner for a new one"


class InviteError(PartnerRuleError):
    """An invitation link that cannot be used, with what the person should do about it."""

    def __init__(self, message: str) -> None:
        super().__init__("token", message)


@dataclass(frozen=True)
class Invite:
    """Who an invitation is for, and until when it works."""

    partner_id: int
    email: str
    expires_at: datetime
    nonce: str = ""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: str, payload: str, purpose: bytes = _PURPOSE) -> str:
    mac = hmac.new(secret.encode(), purpose + payload.encode("ascii"), hashlib.sha256)
    return _b64(mac.digest())


def invite_expiry(now: datetime, days: int = INVITE_DAYS) -> datetime:
    """When a link issued now stops working, to the second (the token stores whole seconds)."""
    return (check_utc("now", now) + timedelta(days=days)).replace(microsecond=0)


def invite_token(
    secret: str, partner_id: int, email: str, expires_at: datetime, nonce: str = ""
) -> str:
    """The signed token for one partner's email, valid until expires_at (and while nonce is)."""
    if not secret:
        raise PartnerRuleError("secret", "is empty; the app secret signs invitations")
    if isinstance(partner_id, bool) or not isinstance(partner_id, int) or partner_id < 1:
        raise PartnerRuleError("partner_id", "must be a positive whole number")
    address = email.strip().lower()
    if not address or any(ch.isspace() for ch in address):
        raise PartnerRuleError("email", f"{email!r} is not an email address")
    expires = int(check_utc("expires_at", expires_at).timestamp())
    if not nonce:
        payload = _b64(f"{partner_id}:{expires}:{address}".encode())
        return f"{payload}.{_signature(secret, payload)}"
    if not _NONCE.match(nonce):
        raise PartnerRuleError("nonce", "must be 1 to 64 letters, digits, '-' or '_'")
    payload = _b64(f"{partner_id}:{expires}:{nonce}:{address}".encode())
    return f"{payload}.{_signature(secret, payload, _PURPOSE_V2)}"


def read_invite(secret: str, token: str, now: datetime) -> Invite:
    """The invitation a token stands for; refuses altered, foreign, malformed and expired ones."""
    now = check_utc("now", now)
    token = token.strip()
    if not secret or len(token) > _MAX_TOKEN or not _SHAPE.match(token):
        raise InviteError(_INVALID)
    payload, signature = token.split(".")
    # Checked before anything in the payload is trusted; constant time, so it leaks nothing.
    v2 = hmac.compare_digest(signature.encode(), _signature(secret, payload, _PURPOSE_V2).encode())
    if not v2 and not hmac.compare_digest(signature.encode(), _signature(secret, payload).encode()):
        raise InviteError(_INVALID)
    try:
        fields = _unb64(payload).decode("utf-8").split(":", 3 if v2 else 2)
        nonce = fields.pop(2) if v2 else ""
        partner_id, expires, email = fields
        invite = Invite(
            partner_id=int(partner_id),
            email=email,
            expires_at=datetime.fromtimestamp(int(expires), UTC),
            nonce=nonce,
        )
    except (ValueError, binascii.Error, OverflowError, OSError):
        raise InviteError(_INVALID) from None
    if now >= invite.expires_at:
        raise InviteError(_EXPIRED)
    return invite


def invite_url(base_url: str, token: str) -> str:
    """The full link the owner sends: the public invitation page on this installation."""
    return f"{base_url.rstrip('/')}/portal/invite?{urlencode({'token': token})}"
