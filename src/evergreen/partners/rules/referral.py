"""Pure naming of a partner's referral link: a slug people can read, from the partner's name."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["MAX_NAME_SLUG", "referral_slug", "referral_title"]

MAX_NAME_SLUG = 40
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def referral_slug(name: str) -> str:
    """'Ana López' -> 'ana-lopez': accents folded, other characters dashes; '' if none is left.

    The links area still checks it (reserved words, clashes); the service falls back to a
    generated slug when it is refused.
    """
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    slug = _NOT_SLUG.sub("-", folded).strip("-")
    return slug[:MAX_NAME_SLUG].rstrip("-")


def referral_title(name: str) -> str:
    """The link's title in the owner's link list."""
    return f"Referral link of {name.strip()}"[:200]
