"""License keys as pure rules: the key's form (four groups of five base32 letters), the
instance a key is activated on, and whether one more activation is allowed."""

from __future__ import annotations

import base64
import re

from evergreen.commerce.errors import CommerceInputError

__all__ = [
    "KEY_BYTES",
    "activation_refusal",
    "check_instance",
    "check_key",
    "format_key",
]

KEY_BYTES = 13  # 104 random bits; 100 of them make the 20 letters of a key
_KEY = re.compile(r"^[A-Z2-7]{20}$")
_INSTANCE_ID = re.compile(r"^[A-Za-z0-9_-]{8,32}$")


def format_key(random: bytes) -> str:
    """A human-friendly key from random bytes: XXXXX-XXXXX-XXXXX-XXXXX (no 0, 1, 8 or 9)."""
    if len(random) < KEY_BYTES:
        raise ValueError("a key needs 13 random bytes")
    letters = base64.b32encode(random[:KEY_BYTES]).decode("ascii")[:20]
    return "-".join(letters[i : i + 5] for i in range(0, 20, 5))


def check_key(value: str) -> str:
    """A key as typed (any case, spaces or dashes anywhere) in its stored form."""
    letters = re.sub(r"[\s-]", "", value or "").upper()
    if not _KEY.match(letters):
        raise CommerceInputError(
            "license_key", "is not a license key; it looks like ABCDE-FGHIJ-KLMNO-PQRST"
        )
    return "-".join(letters[i : i + 5] for i in range(0, 20, 5))


def check_instance(field: str, value: str) -> str:
    """An instance name (what the buyer calls the machine or site) or an instance id."""
    text = "".join(ch for ch in (value or "") if ch.isprintable()).strip()
    if field == "instance_id":
        if not _INSTANCE_ID.match(text):
            raise CommerceInputError(field, "is not an instance id from an activation")
        return text
    if not text or len(text) > 200:
        raise CommerceInputError(field, "name the machine or site, in 1 to 200 characters")
    return text


def activation_refusal(status: str, used: int, limit: int) -> str | None:
    """Why a key may not be activated once more (disabled, or every activation used), or None."""
    if status != "active":
        return "this license key is disabled (the purchase was refunded or revoked)"
    if used >= limit:
        return (
            f"this license key is already activated on {used} of {limit} "
            f"instance{'s' if limit != 1 else ''}; deactivate one first"
        )
    return None
