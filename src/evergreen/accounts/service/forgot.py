"""Forgotten passwords: a rate-limited request that mails a one-time reset link to an account
that may receive one, answering the same whoever asks (no account enumeration)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from evergreen.accounts.errors import AccountError
from evergreen.accounts.models import ResetRequest, User
from evergreen.accounts.rules import (
    ResetRequestPolicy,
    Role,
    reset_mail_wanted,
    reset_request_wait,
)
from evergreen.accounts.service.hashing import digest
from evergreen.accounts.service.passwords import ResetLink, issue_reset
from evergreen.db import serialize_on, utcnow

__all__ = ["FORGOT_ACTOR", "ForgotOutcome", "mail_request_wait", "request_reset"]

# Who made a link asked for through the sign-in page (the reset's `created_by`).
FORGOT_ACTOR = "forgot-password"


@dataclass(frozen=True)
class ForgotOutcome:
    """A request's result, never shown as such: the page answers the same either way."""

    link: ResetLink | None = None  # made only for an account that may receive one
    wait: timedelta | None = None  # set when the request was refused by the rate limit


def mail_request_wait(
    session: Session,
    purpose: str,
    address: str,
    client: str,
    policy: ResetRequestPolicy = ResetRequestPolicy(),
    now: datetime | None = None,
) -> timedelta | None:
    """Count a request that mails a link (a reset, a buyer's sign-in) per client and per address,
    known or not, so nobody can flood an inbox; None when it may go ahead, else the wait.
    `purpose` keeps each kind's counts apart ("" for forgotten passwords)."""
    keys = {
        name: digest(f"{purpose}{name}:{value}")
        for name, value in (("client", client), ("address", address.strip().lower()))
    }
    # Count then record as one step, so parallel requests cannot all pass the same count.
    serialize_on(session, *(f"forgot:{key}" for key in keys.values()))
    now = now or utcnow()
    since = now - policy.window
    times = {
        name: list(
            session.scalars(
                select(ResetRequest.at).where(ResetRequest.key == key, ResetRequest.at > since)
            )
        )
        for name, key in keys.items()
    }
    wait = reset_request_wait(times["client"], times["address"], now, policy)
    if wait is not None:
        return wait
    session.execute(delete(ResetRequest).where(ResetRequest.at <= since))
    session.add_all(ResetRequest(key=key, at=now) for key in keys.values())
    return None


def request_reset(
    session: Session,
    email: str,
    *,
    client: str,
    base_url: str,
    policy: ResetRequestPolicy = ResetRequestPolicy(),
    now: datetime | None = None,
) -> ForgotOutcome:
    """Count the request per client and per address (known or not), then make a link when the
    account may receive one; AccountError on `email` when nothing usable was typed."""
    address = email.strip().lower()
    if not address or "@" not in address or len(address) > 254:
        raise AccountError("Enter the email address you sign in with.", field="email")
    now = now or utcnow()
    wait = mail_request_wait(session, "", address, client, policy, now)
    if wait is not None:
        return ForgotOutcome(wait=wait)
    user = session.scalar(select(User).where(User.email == address))
    role = Role(user.role) if user is not None else None
    if user is None or not reset_mail_wanted(role, user.is_active):
        return ForgotOutcome()
    return ForgotOutcome(
        link=issue_reset(session, user.email, actor=FORGOT_ACTOR, base_url=base_url, now=now)
    )
