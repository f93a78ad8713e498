"""Signed tokens in a recipient's links: one-click unsubscribe (`u`), the open pixel (`o`) and
the subscriber token a tracked click carries as sub2 (`c`); and the Message-ID of a send.

A token is `kind` + `message-subscriber-list` in base 36 + `-` + 16 characters of an
HMAC-SHA256 over all of it, lower case: a person can leave only their own list, and an open
cannot be forged for someone else. Tokens do not expire: an unsubscribe link must work for as
long as the message is in someone's mailbox (RFC 8058 asks for that).
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass

from evergreen.mail.rules.short_hmac import base36
from evergreen.mail.rules.short_hmac import signature as _signed

__all__ = ["RecipientToken", "decode", "encode", "header_id"]

_TOKEN = re.compile(r"([uoc])([0-9a-z]{1,13})-([0-9a-z]{1,13})-([0-9a-z]{1,13})-([a-z2-7]{16})")

_PURPOSE = b"mail-link:"  # what the HMAC is for, before the payload


@dataclass(frozen=True)
class RecipientToken:
    """Whose link it is: the kind (u unsubscribe, o open, c click), broadcast, subscriber, list."""

    kind: str
    message_id: int
    subscriber_id: int
    list_id: int


def encode(secret: str, token: RecipientToken) -> str:
    """The signed token for a link."""
    if token.kind not in ("u", "o", "c"):
        raise ValueError("kind must be u, o or c")
    numbers = (token.message_id, token.subscriber_id, token.list_id)
    if not all(0 <= n < 2**63 for n in numbers):
        raise ValueError("ids must be from 0 to 2**63 - 1")
    payload = token.kind + "-".join(base36(n) for n in numbers)
    return f"{payload}-{_signed(secret, _PURPOSE, payload)}"


def decode(secret: str, text: str, kind: str) -> RecipientToken | None:
    """The token's content when it is of `kind` and its signature holds, else None."""
    match = _TOKEN.fullmatch(text.strip().lower())
    if match is None or match.group(1) != kind:
        return None
    found_kind, message, subscriber, list_id, signature = match.groups()
    payload = f"{found_kind}{message}-{subscriber}-{list_id}"
    if not hmac.compare_digest(signature, _signed(secret, _PURPOSE, payload)):
        return None
    return RecipientToken(found_kind, int(message, 36), int(subscriber, 36), int(list_id, 36))


def header_id(secret: str, message_id: int, subscriber_id: int) -> str:
    """The Message-ID's local part of one broadcast to one person: the same on every attempt,
    so a message sent twice after a lost answer is folded by mail clients."""
    payload = f"b{base36(message_id)}.s{base36(subscriber_id)}"
    return f"{payload}.{_signed(secret, _PURPOSE, 'id:' + payload)[:10]}"
