"""A periodic task's schedule in words, read from its crontab the only way Huey exposes it:
asking it about each minute of a day."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

__all__ = ["describe_schedule"]

_DAY = datetime(2026, 3, 2)  # naive UTC, as Huey's scheduler asks


def describe_schedule(due: Callable[[datetime], bool]) -> str:
    """ "every minute", "every 5 minutes", "hourly at :07", "daily at 04:17 UTC", or how many
    times a day for anything else."""
    day = [m for m in range(1440) if due(_DAY + timedelta(minutes=m))]
    if len(day) == 1440:
        return "every minute"
    if not day:
        return "not every day"
    minutes = sorted({m % 60 for m in day})
    hours = sorted({m // 60 for m in day})
    if len(day) == 1:
        return f"daily at {hours[0]:02d}:{minutes[0]:02d} UTC"
    if len(hours) == 24 and len(day) == 24 * len(minutes):
        if len(minutes) == 1:
            return f"hourly at :{minutes[0]:02d}"
        step = minutes[1] - minutes[0]
        if minutes == list(range(minutes[0], 60, step)) and 60 % step == 0:
            return f"every {step} minutes"
    return f"{len(day)} times a day"
