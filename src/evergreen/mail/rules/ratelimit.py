"""A token bucket per SMTP server: how long to wait before the next message may go."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Bucket", "take"]


@dataclass(frozen=True)
class Bucket:
    """Tokens left and when they were counted (seconds on a monotonic clock)."""

    tokens: float
    at: float


def take(bucket: Bucket, now: float, rate: float, burst: float) -> tuple[Bucket, float]:
    """Take one token: the bucket after, and the seconds to wait before sending (0 for none).

    The bucket refills at `rate` tokens a second up to `burst`; a token taken before it has
    refilled is borrowed (tokens go below zero) so that waiters queue in order.
    """
    if rate <= 0:
        return bucket, 0.0
    tokens = min(burst, bucket.tokens + max(now - bucket.at, 0.0) * rate) - 1.0
    return Bucket(tokens, now), (0.0 if tokens >= 0 else -tokens / rate)
