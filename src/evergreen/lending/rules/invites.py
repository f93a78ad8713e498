"""Borrower portal invitations: a signed, expiring link naming the borrower, their email and
the borrower's current invitation (a new one replaces it), so the owner never learns a password.

A token is ``<payload>.<signature>`` in URL-safe base64; the signature is HMAC-SHA256 of the
payload with the app secret, so changing any character breaks it.
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

from evergreen.lending.errors import LendingInputError

__all__ = [
    "INVITE_DAYS",
    "BorrowerInvite",
    "invite_expiry",
    "invite_token",
    "invite_url",
    "read_invite",
]

INVITE_DAYS = 7
_PURPOSE = b"lending-borrower-invite:v1:"
_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,600}\.[A-Za-z0-9_-]{1,100}$")
_INVALID = "this link is not valid; check that it was copied whole, or ask for a new invitation"
_EXPIRED = "this invitation has expired; ask your lender for a new one"


@dataclass(frozen=True)
class BorrowerInvite:
    """Who an invitation is for, which invitation it is, and until when it works."""

    borrower_id: int
    email: str
    nonce: str
    expires_at: datetime


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _mac(secret: str, payload: str) -> str:
    return _b64(hmac.new(secret.encode(), _PURPOSE + payload.encode(), hashlib.sha256).digest())


def invite_token(secret: str, invite: BorrowerInvite) -> str:
    """The signed token of an invitation (whole seconds of its expiry are kept)."""
    if not secret:
        raise LendingInputError("secret", "is empty; the app secret signs invitations")
    if not invite.email.strip() or not re.fullmatch(r"[A-Za-z0-9_-]{1,32}", invite.nonce):
        raise LendingInputError("email", "the borrower needs an email address to be invited")
    stamp = int(invite.expires_at.timestamp())
    fields = f"{invite.borrower_id}:{stamp}:{invite.nonce}:{invite.email.strip().lower()}"
    payload = _b64(fields.encode())
    return f"{payload}.{_mac(secret, payload)}"


def read_invite(secret: str, token: str, now: datetime) -> BorrowerInvite:
    """The invitation a token stands for; refuses altered, malformed and expired ones."""
    token = token.strip()
    if not secret or not _SHAPE.match(token):
        raise LendingInputError("token", _INVALID)
    payload, signature = token.split(".")
    if not hmac.compare_digest(signature.encode(), _mac(secret, payload).encode()):
        raise LendingInputError("token", _INVALID)
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
        borrower_id, stamp, nonce, email = raw.split(":", 3)
        invite = BorrowerInvite(
            int(borrower_id), email, nonce, datetime.fromtimestamp(int(stamp), UTC)
        )
    except (ValueError, binascii.Error, OverflowError, OSError):
        raise LendingInputError("token", _INVALID) from None
    if now >= invite.expires_at:
        raise LendingInputError("token", _EXPIRED)
    return invite


def invite_expiry(now: datetime, days: int = INVITE_DAYS) -> datetime:
    """When a link issued now stops working, to the second."""
    return (now + timedelta(days=days)).replace(microsecond=0)


def invite_url(base_url: str, token: str) -> str:
    """The link the owner sends: the borrower portal's set-your-password page."""
    return f"{base_url.rstrip('/')}/borrower/invite?{urlencode({'token': token})}"
