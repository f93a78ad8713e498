"""The A/B split: which variant a visitor sees, sticky per visitor and honouring weights.

The pick is a hash of the visitor id and the step id mapped onto the cumulative weights, so the
same visitor always sees the same variant (no stored assignment) and, over many visitors, each
variant's share approaches weight ÷ total weight.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from evergreen.funnels.errors import FunnelInputError

__all__ = ["MAX_WEIGHT", "check_variant_name", "check_weight", "pick_variant"]

MAX_WEIGHT = 10_000
_SCALE = 2**64


def check_weight(value: int) -> int:
    """A variant's weight: a whole number from 0 (never shown) to 10,000."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_WEIGHT:
        raise FunnelInputError("weight", f"must be a whole number from 0 to {MAX_WEIGHT}")
    return value


def check_variant_name(value: str) -> str:
    """A short variant name such as A or B."""
    text = (value or "").strip()
    if not text or len(text) > 20 or not all(c.isalnum() or c in "-_ " for c in text):
        raise FunnelInputError("name", "use 1 to 20 letters, digits, dashes or spaces, like A")
    return text


def pick_variant(visitor: str, step_id: int, weights: Sequence[tuple[str, int]]) -> str | None:
    """The variant name this visitor sees on this step, or None when every weight is 0."""
    total = sum(weight for _name, weight in weights if weight > 0)
    if total == 0:
        return None
    digest = hashlib.sha256(f"{visitor}:{step_id}".encode()).digest()
    point = int.from_bytes(digest[:8], "big") * total // _SCALE  # 0 <= point < total
    for name, weight in weights:
        if weight <= 0:
            continue
        if point < weight:
            return name
        point -= weight
    raise AssertionError("unreachable: the point lies below the total weight")
