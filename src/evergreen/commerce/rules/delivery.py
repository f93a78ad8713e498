"""Delivery as pure rules: the signed, expiring download link, whether a download may go ahead,
the buyer's signed sign-in link and session cookie, and the delivery settings a product takes.

Every token is `<fields>.<HMAC>` with a key derived from the app secret and the token's purpose,
so a download link can never be replayed as a sign-in link or the other way round."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from evergreen.commerce.errors import CommerceInputError
from evergreen.digits import is_digits

__all__ = [
    "BUYER_SESSION_DAYS",
    "DEFAULT_LINK_HOURS",
    "MAX_DOWNLOAD_LIMIT",
    "MAX_LINK_HOURS",
    "SIGN_IN_MINUTES",
    "DownloadClaim",
    "LinkRefused",
    "buyer_token",
    "check_email",
    "check_setting",
    "download_refusal",
    "download_token",
    "hash_address",
    "link_expiry",
    "read_buyer_token",
    "read_download_token",
]

DEFAULT_LINK_HOURS = 24
MAX_LINK_HOURS = 24 * 365
MAX_DOWNLOAD_LIMIT = 10_000
MAX_ACTIVATIONS = 10_000
SIGN_IN_MINUTES = 30  # a mailed sign-in link lives this long
BUYER_SESSION_DAYS = 7  # a buyer's signed cookie lives this long
_DOWNLOAD = re.compile(r"^([0-9]{1,19})\.([0-9]{1,19})\.([0-9]{1,12})\.([A-Za-z0-9_-]{32})$")
_BUYER = re.compile(r"^([A-Za-z0-9_-]{1,400})\.([0-9]{1,12})\.([A-Za-z0-9_-]{32})$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s.]{1,60}$")
_PURPOSES = ("download", "sign-in", "buyer-session")


class LinkRefused(CommerceInputError):
    """A link that no longer grants anything: 403 (changed, revoked, used up) or 410 (expired)."""

    status = 403


class _Expired(LinkRefused):
    status = 410


@dataclass(frozen=True)
class DownloadClaim:
    """What a valid download link names."""

    grant_id: int
    file_id: int
    expires: datetime


def _signature(secret: str, purpose: str, payload: str) -> str:
    key = hashlib.sha256(f"evergreen-key:commerce-{purpose}:{secret}".encode()).digest()
    digest = hmac.new(key, payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode("ascii")


def _same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode())


def _stamp(moment: datetime) -> int:
    return int(moment.astimezone(UTC).timestamp())


def link_expiry(now: datetime, hours: int | None) -> datetime:
    """When a link made now stops working: the product's hours, or the default."""
    return now + timedelta(hours=hours or DEFAULT_LINK_HOURS)


def download_token(secret: str, grant_id: int, file_id: int, expires: datetime) -> str:
    """The signed part of a download link: the grant, the file and the expiry."""
    payload = f"{grant_id}.{file_id}.{_stamp(expires)}"
    return f"{payload}.{_signature(secret, 'download', payload)}"


def read_download_token(secret: str, token: str, now: datetime) -> DownloadClaim:
    """What a download link names; a changed link is refused (403), an expired one 410."""
    found = _DOWNLOAD.match(token.strip())
    if found is None:
        raise LinkRefused("token", "this download link is not valid; use the link you were sent")
    payload = ".".join(found.group(1, 2, 3))
    if not _same(_signature(secret, "download", payload), found.group(4)):
        raise LinkRefused("token", "this download link is not valid; use the link you were sent")
    expires = datetime.fromtimestamp(int(found.group(3)), UTC)
    if now >= expires:
        raise _Expired(
            "token",
            "this download link has expired; open your purchases at /account for a fresh one",
        )
    return DownloadClaim(int(found.group(1)), int(found.group(2)), expires)


def download_refusal(status: str, reason: str, downloads: int, limit: int | None) -> str | None:
    """Why a grant allows no more downloads (revoked, or its limit used), or None."""
    if status != "active":
        why = f" ({reason})" if reason else ""
        return f"this purchase was revoked{why}; its files can no longer be downloaded"
    if limit is not None and downloads >= limit:
        return (
            f"this purchase's {limit} download{'s' if limit != 1 else ''} are used up; "
            "ask the seller for more"
        )
    return None


def check_email(value: str) -> str:
    """A buyer's email address, lower-case; refused when it cannot be one."""
    text = value.strip().lower()
    if not _EMAIL.match(text):
        raise CommerceInputError("email", "give an email address like ann@example.com")
    return text


def _encode(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode("ascii")


def _decode(text: str) -> str:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()


def buyer_token(secret: str, purpose: str, email: str, expires: datetime) -> str:
    """A buyer's signed sign-in link part ("sign-in") or session cookie ("buyer-session")."""
    if purpose not in _PURPOSES[1:]:
        raise ValueError(purpose)
    payload = f"{_encode(email)}.{_stamp(expires)}"
    return f"{payload}.{_signature(secret, purpose, payload)}"


def read_buyer_token(secret: str, purpose: str, token: str, now: datetime) -> str:
    """The email a buyer's link or cookie names; a changed or expired one is refused."""
    found = _BUYER.match(token.strip())
    if found is None or purpose not in _PURPOSES[1:]:
        raise LinkRefused("token", "this sign-in link is not valid; ask for a new one")
    payload = f"{found.group(1)}.{found.group(2)}"
    if not _same(_signature(secret, purpose, payload), found.group(3)):
        raise LinkRefused("token", "this sign-in link is not valid; ask for a new one")
    if now >= datetime.fromtimestamp(int(found.group(2)), UTC):
        raise _Expired("token", "this sign-in link has expired; ask for a new one")
    try:
        return check_email(_decode(found.group(1)))
    except (ValueError, UnicodeDecodeError):
        raise LinkRefused("token", "this sign-in link is not valid; ask for a new one") from None


def hash_address(secret: str, address: str) -> str:
    """A client address kept only as a keyed hash: the owner tells downloads apart, no more."""
    key = hashlib.sha256(f"evergreen-key:commerce-address:{secret}".encode()).digest()
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()[:32]


_LIMITS = {
    "download_limit": MAX_DOWNLOAD_LIMIT,
    "link_hours": MAX_LINK_HOURS,
    "license_activations": MAX_ACTIVATIONS,
}


def check_setting(field: str, value: str | int | None) -> int | None:
    """A delivery setting: a whole number from 1 up to its bound, or None (empty)."""
    text = "" if value is None else str(value).strip()
    if not text:
        return None
    bound = _LIMITS[field]
    if not is_digits(text) or not 1 <= int(text) <= bound:
        raise CommerceInputError(field, f"give a whole number from 1 to {bound}, or leave it empty")
    return int(text)
