"""How often a person hears from us: the frequency chosen in the preference centre (`all`,
`weekly`, `monthly`, kept as the subscriber field `frequency`) against when they last received
a broadcast. Transactional mail never asks."""

from __future__ import annotations

from datetime import datetime, timedelta

__all__ = ["GAPS", "frequency_skip"]

# The least time between two broadcasts to one person, by the preference centre's choice;
# "all" (and anything unknown, as the preference centre reads it) has none.
GAPS = {"weekly": timedelta(days=7), "monthly": timedelta(days=30)}


def frequency_skip(frequency: object, last_sent: datetime | None, now: datetime) -> str | None:
    """Why this broadcast must not go to the person now (e.g. "frequency: weekly"), or None
    when it may: nothing sent to them within the gap before `now` (a gap exactly past is fine)."""
    gap = GAPS.get(frequency) if isinstance(frequency, str) else None
    if gap is None or last_sent is None or last_sent <= now - gap:
        return None
    return f"frequency: {frequency}"
