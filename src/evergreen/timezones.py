"""IANA time zones named by people and stored with them: the one lookup that never raises.

zoneinfo reads a name as a file path: a folder ("Europe") raises IsADirectoryError, a name too
long for a file OSError, a path ValueError, an unknown name ZoneInfoNotFoundError. Every area
that takes a zone from a form, a file or a row asks here.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["MAX_ZONE_NAME", "zone_named"]

MAX_ZONE_NAME = 64  # the zone columns' width; the longest IANA name is ~30


def zone_named(name: str) -> ZoneInfo | None:
    """The zone called `name`, or None when zoneinfo knows no zone by that name."""
    if not name or len(name) > MAX_ZONE_NAME:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None
