"""Keyed hashes of personal values (a visitor's IP, a consent IP, an erased address): the value
itself is never stored, and without the key the hash cannot be reversed by trying every value."""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["derive_key", "keyed_hash"]


def derive_key(secret: str, purpose: str) -> bytes:
    """A 32-byte key for one purpose, from the app secret, so purposes never share a key."""
    return hmac.new(secret.encode(), f"evergreen-key:{purpose}".encode(), hashlib.sha256).digest()


def keyed_hash(key: bytes, value: str, *, digest_size: int = 16) -> str:
    """BLAKE2b of the value under the key, as hex (32 characters at the default size)."""
    return hashlib.blake2b(
        value.encode("utf-8", "replace"), key=key, digest_size=digest_size
    ).hexdigest()
