"""Pure account decisions: roles, password policy, sign-in throttling."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "SESSION_COOKIE",
    "Role",
    "can_manage_settings",
    "can_use_dashboard",
    "locked_until",
    "password_problem",
]

MIN_PASSWORD_LENGTH = 10
# The cookie that carries a browser's sign-in (its value is a random session token).
SESSION_COOKIE = "evergreen_session"
_COMMON = frozenset(
    {
        "password",
        "password123",
        "passw0rd",
        "1234567890",
        "12345678910",
        "qwertyuiop",
        "letmein123",
        "iloveyou12",
        "administrator",
        "evergreen",
        "evergreen1",
        "changeme123",
    }
)


class Role(StrEnum):
    """What a person may do: the owner runs everything, staff the day to day, partners their own."""

    OWNER = "owner"
    STAFF = "staff"
    PARTNER = "partner"


def can_use_dashboard(role: Role) -> bool:
    """Owners and staff work in the dashboard; partners have their own portal."""
    return role in (Role.OWNER, Role.STAFF)


def can_manage_settings(role: Role) -> bool:
    """Settings, people and payouts are the owner's alone."""
    return role is Role.OWNER


def password_problem(password: str, email: str) -> str | None:
    """Say what is wrong with a new password, or None when it is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"must be at least {MIN_PASSWORD_LENGTH} characters long"
    if len(password) > 1024:
        return "must be at most 1024 characters long"
    if password.strip() != password:
        return "must not start or end with spaces"
    lowered = password.lower()
    if lowered in _COMMON or len(set(lowered)) < 4:
        return "is too easy to guess; choose a longer phrase"
    local = email.split("@", 1)[0].lower()
    if lowered in (email.lower(), local):
        return "must not be the same as the email address"
    return None


def locked_until(
    failures: Iterable[datetime], now: datetime, max_failures: int, window: timedelta
) -> datetime | None:
    """When sign-in opens again after too many recent failures, or None if it is open now."""
    recent = sorted(at for at in failures if now - window < at <= now)
    if len(recent) < max_failures:
        return None
    # Locked until the oldest failure that still makes the count reach the limit leaves the window.
    return recent[-max_failures] + window
