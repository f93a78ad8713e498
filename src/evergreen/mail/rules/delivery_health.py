"""When a broadcast pauses itself, and when soft bounces make an address unsendable.

Auto-pause (Gmail's and Yahoo's bulk-sender rules keep complaints under 0.3 %): once at least
`MIN_SAMPLE` messages of a broadcast were sent or bounced, it pauses when more than 5 % of them
bounced hard, or more than 0.3 % of them drew a complaint. Below the sample nothing pauses (two
bounces in the first ten messages say little).

Soft bounces: an address is suppressed (as bounced) at its `SOFT_LIMIT`-th soft bounce within
`SOFT_WINDOW` (3 within 30 days): a full mailbox that stays full, a server that keeps refusing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

__all__ = [
    "BOUNCE_LIMIT",
    "COMPLAINT_LIMIT",
    "MIN_SAMPLE",
    "SOFT_LIMIT",
    "SOFT_WINDOW",
    "Verdict",
    "auto_pause",
    "soft_bounce_suppresses",
]

MIN_SAMPLE = 200
BOUNCE_LIMIT = Decimal("0.05")
COMPLAINT_LIMIT = Decimal("0.003")
SOFT_LIMIT = 3
SOFT_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class Verdict:
    """Whether to pause, and the sentence the owner reads."""

    pause: bool
    reason: str = ""


def auto_pause(delivered: int, bounced: int, complaints: int) -> Verdict:
    """Pause when the hard-bounce or complaint rate crosses its limit after the sample.

    `delivered` counts messages sent or bounced (every message a server answered for)."""
    if delivered < MIN_SAMPLE or delivered <= 0:
        return Verdict(False)
    bounce_rate = Decimal(bounced) / Decimal(delivered)
    complaint_rate = Decimal(complaints) / Decimal(delivered)
    if bounce_rate > BOUNCE_LIMIT:
        return Verdict(
            True,
            f"paused: {bounced} of {delivered} messages bounced ({bounce_rate:.1%}, over "
            f"{BOUNCE_LIMIT:.0%}); clean the list before resuming",
        )
    if complaint_rate > COMPLAINT_LIMIT:
        return Verdict(
            True,
            f"paused: {complaints} complaints for {delivered} messages ({complaint_rate:.2%}, "
            f"over {COMPLAINT_LIMIT:.1%}); check consent before resuming",
        )
    return Verdict(False)


def soft_bounce_suppresses(soft_in_window: int) -> bool:
    """Whether this many soft bounces within the window (this one included) suppress."""
    return soft_in_window >= SOFT_LIMIT
