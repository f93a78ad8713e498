"""The VERP return path: `bounces+TOKEN@domain`, where TOKEN says which message and which person
a bounce is about, signed so that a forged bounce cannot suppress someone else.

TOKEN is `kind-message-subscriber-signature`: the kind (b broadcast, s sequence, t transactional,
or another short word), both ids in base 36 and 16 characters of an HMAC-SHA256, all lower case
so that a mail server that folds the local part's case does not break it.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass

from evergreen.mail.errors import MailInputError
from evergreen.mail.rules.short_hmac import base36
from evergreen.mail.rules.short_hmac import signature as _signed

__all__ = ["BounceToken", "decode", "encode", "return_path", "token_from_address"]

_KIND = re.compile(r"[a-z]{1,8}")
_TOKEN = re.compile(r"([a-z]{1,8})-([0-9a-z]{1,13})-([0-9a-z]{1,13})-([a-z2-7]{16})")
_ADDRESS = re.compile(r"[^\s<>@+]+\+([0-9a-z-]{1,60})@", re.IGNORECASE)

_PURPOSE = b"verp:"  # what the HMAC is for, before the payload


@dataclass(frozen=True)
class BounceToken:
    """What a bounce is about: the kind of message, its id, and the subscriber's id."""

    kind: str
    message_id: int
    subscriber_id: int


def encode(secret: str, token: BounceToken) -> str:
    """The signed token for the local part."""
    if not _KIND.fullmatch(token.kind):
        raise MailInputError("kind", "must be 1 to 8 lower-case letters")
    if not (0 <= token.message_id < 2**63 and 0 <= token.subscriber_id < 2**63):
        raise MailInputError("id", "must be a whole number from 0 to 2**63 - 1")
    payload = f"{token.kind}-{base36(token.message_id)}-{base36(token.subscriber_id)}"
    return f"{payload}-{_signed(secret, _PURPOSE, payload)}"


def decode(secret: str, text: str) -> BounceToken | None:
    """The token's content when its signature holds, else None (forged, damaged or foreign)."""
    match = _TOKEN.fullmatch(text.strip().lower())
    if match is None:
        return None
    kind, message, subscriber, signature = match.groups()
    expected = _signed(secret, _PURPOSE, f"{kind}-{message}-{subscriber}")
    if not hmac.compare_digest(signature, expected):
        return None
    return BounceToken(kind, int(message, 36), int(subscriber, 36))


def return_path(secret: str, token: BounceToken, domain: str, local: str = "bounces") -> str:
    """The envelope sender of one message: `bounces+TOKEN@domain`."""
    return f"{local}+{encode(secret, token)}@{domain}"


def token_from_address(secret: str, address: str) -> BounceToken | None:
    """Find and check a VERP token in an address such as `bounces+b-1-2-…@example.com`."""
    for match in _ADDRESS.finditer(address):
        found = decode(secret, match.group(1))
        if found is not None:
            return found
    return None
