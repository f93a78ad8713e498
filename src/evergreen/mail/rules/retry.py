"""When a deferred message is tried again: a fixed, growing schedule, then it has failed."""

from __future__ import annotations

from datetime import datetime, timedelta

__all__ = ["SCHEDULE", "next_attempt"]

# After the 1st, 2nd, … failure; about two days in all, as mail servers retry (RFC 5321 4.5.4).
SCHEDULE = (
    timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1),
    timedelta(hours=3), timedelta(hours=8), timedelta(hours=12), timedelta(hours=24),
)  # fmt: skip


def next_attempt(failures: int, last: datetime) -> datetime | None:
    """When to try again after `failures` deferrals (1 for the first), or None to give up."""
    if failures < 1 or failures > len(SCHEDULE):
        return None
    return last + SCHEDULE[failures - 1]
