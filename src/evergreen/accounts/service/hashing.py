"""How account secrets are kept: passwords with Argon2id, random tokens as SHA-256."""

from __future__ import annotations

import hashlib

from argon2 import PasswordHasher

__all__ = ["digest", "hasher"]

hasher = PasswordHasher()


def digest(raw: str) -> str:
    """Tokens are long and random, so a fast hash is enough to make a stolen table useless."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()
