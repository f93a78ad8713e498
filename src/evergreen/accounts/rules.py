"""Pure account decisions: roles and who may use what, password policy, sign-in throttling,
and the signed role claim a session cookie carries."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from evergreen.digits import is_digits

__all__ = [
    "FORGOT_ANSWER",
    "MIN_PASSWORD_LENGTH",
    "RESET_HOURS",
    "SESSION_COOKIE",
    "Access",
    "ResetRequestPolicy",
    "Role",
    "allows",
    "can_manage_settings",
    "can_receive_reset",
    "can_use_dashboard",
    "locked_until",
    "new_password_problem",
    "password_problem",
    "reset_expiry",
    "reset_link_problem",
    "reset_mail_wanted",
    "reset_request_wait",
    "session_claim",
    "session_cookie_value",
    "session_token",
]

MIN_PASSWORD_LENGTH = 10
# How long a password-reset link made by the owner works (it works once).
RESET_HOURS = 24
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
    """What a person may do: the owner runs everything, staff the day to day, partners and
    borrowers their own."""

    OWNER = "owner"
    STAFF = "staff"
    PARTNER = "partner"
    BORROWER = "borrower"


class Access(StrEnum):
    """Who may use a route: each page and API route declares one, and both answer by `allows`."""

    PUBLIC = "public"  # anyone, signed in or not (sign-in, sign-up, postbacks with their secret)
    SIGNED_IN = "signed_in"  # any account (who am I)
    PARTNER = "partner"  # the partner portal
    BORROWER = "borrower"  # the borrower portal (lending)
    STAFF = "staff"  # the dashboard's day-to-day work: owner and staff
    OWNER = "owner"  # settings, people, money out, integrations and their secrets


def allows(access: Access, role: Role | None) -> bool:
    """The one role rule: whether someone with `role` (None: not signed in) may use a route."""
    if access is Access.PUBLIC:
        return True
    if role is None:
        return False
    if access is Access.SIGNED_IN:
        return True
    if access is Access.PARTNER:
        return role is Role.PARTNER
    if access is Access.BORROWER:
        return role is Role.BORROWER
    if access is Access.STAFF:
        return role in (Role.OWNER, Role.STAFF)
    return role is Role.OWNER


def can_use_dashboard(role: Role) -> bool:
    """Owners and staff work in the dashboard; partners have their own portal."""
    return allows(Access.STAFF, role)


def can_manage_settings(role: Role) -> bool:
    """Settings, people and payouts are the owner's alone."""
    return allows(Access.OWNER, role)


def _claim_mac(secret: str, token: str, role: str, expires: int) -> str:
    message = f"session-role:{token}.{role}.{expires}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def session_cookie_value(secret: str, token: str, role: Role, expires: datetime) -> str:
    """The session cookie: the random token, then the role and its expiry signed with the
    secret, so the redirect hot path can tell the team's browsers without reading the database."""
    stamp = int(expires.timestamp())
    return f"{token}.{role.value}.{stamp}.{_claim_mac(secret, token, role.value, stamp)}"


def session_token(cookie: str) -> str:
    """The random session token inside a session cookie (what the database knows)."""
    return cookie.split(".", 1)[0]


def session_claim(secret: str, cookie: str, now: datetime) -> Role | None:
    """The role a session cookie claims, when its signature holds and it has not expired."""
    parts = cookie.split(".")
    if len(parts) != 4 or not is_digits(parts[2]) or len(parts[2]) > 12:
        return None
    token, role, stamp, mac = parts
    if not hmac.compare_digest(mac, _claim_mac(secret, token, role, int(stamp))):
        return None
    if int(stamp) <= now.timestamp() or role not in Role._value2member_map_:
        return None
    return Role(role)


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


def new_password_problem(password: str, again: str, email: str) -> tuple[str, str] | None:
    """What is wrong with a new password typed twice, as (field, message), or None."""
    if password != again:
        return "password_again", "The two passwords differ; type the same password twice."
    problem = password_problem(password, email)
    return ("password", f"Password {problem}.") if problem else None


def can_receive_reset(role: Role) -> bool:
    """Reset links are for staff, partners and borrowers: a link can never take the owner's
    account over."""
    return role in (Role.STAFF, Role.PARTNER, Role.BORROWER)


def reset_expiry(now: datetime, hours: int = RESET_HOURS) -> datetime:
    """When a reset link made now stops working."""
    return now + timedelta(hours=hours)


def reset_link_problem(expires_at: datetime, used_at: datetime | None, now: datetime) -> str | None:
    """Why a reset link can no longer be used, or None while it can."""
    if used_at is not None:
        return "This link was already used. Ask the owner for a new one if you need it."
    if now >= expires_at:
        return "This link has expired. Ask the owner for a new one."
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


# What the forgotten-password page answers for every address, known or not (no enumeration).
FORGOT_ANSWER = (
    "If an account that can reset its password uses this address, a link to choose a new "
    "password is on its way. It works once, for 24 hours. Nothing arrived? Look in your spam "
    "folder, or ask the owner for a reset link."
)


@dataclass(frozen=True)
class ResetRequestPolicy:
    """How many forgotten-password requests are taken per address and per client in a window."""

    per_address: int = 3
    per_client: int = 10
    window: timedelta = timedelta(hours=1)


def reset_request_wait(
    client_times: Iterable[datetime],
    address_times: Iterable[datetime],
    now: datetime,
    policy: ResetRequestPolicy,
) -> timedelta | None:
    """How long until this client may ask for this address again (None: it may now); both
    counts include requests for unknown addresses, so a refusal tells nothing about accounts."""
    ends = [
        until
        for until in (
            locked_until(client_times, now, policy.per_client, policy.window),
            locked_until(address_times, now, policy.per_address, policy.window),
        )
        if until is not None
    ]
    return max(ends) - now if ends else None


def reset_mail_wanted(role: Role | None, active: bool) -> bool:
    """Whether a forgotten-password request is answered with a mailed link: only for an active
    account whose role may receive resets (None: no such account); the page says the same."""
    return role is not None and active and can_receive_reset(role)
