"""The pieces of the signed tokens a message carries (its links, its VERP return path, its
Message-ID): numbers in base 36 and 16 lower-case base-32 characters of an HMAC-SHA256.

Six such tokens are made per person of a broadcast. The key is set up once per secret and
purpose (an HMAC object copied, not built again), a number already written in base 36 is
remembered (a broadcast's and a list's id recur in every token), and the base 32 is one
integer conversion instead of `base64.b32encode`'s loop; the text is the same.
"""

from __future__ import annotations

import functools
import hashlib
import hmac

__all__ = ["base36", "signature"]

_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
_BASE32 = "abcdefghijklmnopqrstuvwxyz234567"  # RFC 4648's alphabet, lower case
_SHIFTS = range(75, -1, -5)  # 10 bytes = 80 bits = 16 characters of 5 bits, no padding


@functools.lru_cache(maxsize=4096)
def base36(number: int) -> str:
    """A whole number from 0 up in base 36, lower case."""
    digits = ""
    while True:
        number, rest = divmod(number, 36)
        digits = _DIGITS[rest] + digits
        if number == 0:
            return digits


@functools.lru_cache(maxsize=32)
def _keyed(secret: str, purpose: bytes) -> hmac.HMAC:
    return hmac.new(secret.encode(), purpose, hashlib.sha256)


def signature(secret: str, purpose: bytes, payload: str) -> str:
    """The first 10 bytes of HMAC-SHA256(secret, purpose + payload) in lower-case base 32."""
    mac = _keyed(secret, purpose).copy()
    mac.update(payload.encode())
    number = int.from_bytes(mac.digest()[:10], "big")
    return "".join([_BASE32[(number >> shift) & 31] for shift in _SHIFTS])
