"""Passwords: changed by their owner, set from the command line, reset through a one-time link."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from evergreen.accounts.errors import AccountError, ResetLinkUnusable, SignInLocked, UserNotFound
from evergreen.accounts.models import ApiToken, LoginFailure, PasswordReset, User, WebSession
from evergreen.accounts.rules import (
    Role,
    can_receive_reset,
    locked_until,
    new_password_problem,
    reset_expiry,
    reset_link_problem,
)
from evergreen.accounts.service.hashing import digest, hasher
from evergreen.db import utcnow

if TYPE_CHECKING:
    from evergreen.accounts.service import ThrottlePolicy

__all__ = [
    "ResetLink",
    "change_password",
    "issue_reset",
    "reset_for_token",
    "set_password",
    "use_reset",
]

_NOT_VALID = (
    "This link is not valid: check that it was copied whole, or ask the owner for a new one."
)


@dataclass(frozen=True)
class ResetLink:
    """A one-time link for someone to choose a new password, shown to the owner who made it."""

    email: str
    url: str
    expires_at: datetime


def _store(
    session: Session, user: User, password: str, *, keep: str = "", revoke_tokens: bool = False
) -> int:
    """Set a new password; every other session and any reset link still open stop working, and
    the API tokens too when asked (a password someone else may know: what they made with it
    must stop as well); returns how many tokens were revoked."""
    user.password_hash = hasher.hash(password)
    ended = delete(WebSession).where(WebSession.user_id == user.id)
    if keep:
        ended = ended.where(WebSession.token_hash != digest(keep))
    session.execute(ended)
    open_links = (PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
    session.execute(delete(PasswordReset).where(*open_links))
    # A lock left by forgotten-password attempts should not outlive the new password.
    session.execute(delete(LoginFailure).where(LoginFailure.key == f"email:{user.email}"))
    if not revoke_tokens:
        return 0
    working = (ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    revoked = session.execute(update(ApiToken).where(*working).values(revoked_at=utcnow()))
    return int(getattr(revoked, "rowcount", 0) or 0)


def _checked(password: str, again: str, email: str) -> None:
    problem = new_password_problem(password, again, email)
    if problem is not None:
        raise AccountError(problem[1], field=problem[0])


def _person(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def change_password(
    session: Session,
    user: User,
    current: str,
    password: str,
    again: str,
    *,
    keep_session: str,
    policy: ThrottlePolicy,
    now: datetime | None = None,
    revoke_tokens: bool = False,
) -> int:
    """The signed-in person changes their password; their other browsers are signed out, and
    their API tokens revoked when they ask; returns how many tokens were revoked."""
    now = now or utcnow()
    key = f"email:{user.email}"
    since = now - policy.window
    times = session.scalars(
        select(LoginFailure.at).where(LoginFailure.key == key, LoginFailure.at > since)
    )
    until = locked_until(list(times), now, policy.max_failures, policy.window)
    if until is not None:
        raise SignInLocked(until, now)
    try:
        hasher.verify(user.password_hash, current)
    except (VerificationError, InvalidHashError):
        # Counted as a failed sign-in, so a stolen session cannot be used to guess the password;
        # committed because the refusal rolls the unit of work back.
        session.add(LoginFailure(key=key, at=now))
        session.commit()
        raise AccountError("The current password is not right.", "current_password") from None
    _checked(password, again, user.email)
    return _store(session, user, password, keep=keep_session, revoke_tokens=revoke_tokens)


def set_password(
    session: Session, email: str, password: str, *, revoke_tokens: bool = False
) -> tuple[User, int]:
    """Set anyone's password from the command line; all their sessions end, and their API
    tokens too when asked; the person and how many tokens were revoked."""
    user = _person(session, email)
    if user is None:
        raise UserNotFound(f"No user with email {email}; see `evergreen user list`.", "email")
    _checked(password, password, user.email)
    return user, _store(session, user, password, revoke_tokens=revoke_tokens)


def issue_reset(
    session: Session, email: str, *, actor: str, base_url: str, now: datetime | None = None
) -> ResetLink:
    """A one-time link (24 hours) for staff or a partner; it replaces any they have not used."""
    now = now or utcnow()
    user = _person(session, email)
    if user is None:
        raise UserNotFound(f"No one signs in with {email}.", "email")
    if not can_receive_reset(Role(user.role)):
        raise AccountError(
            "The owner's password is changed on the Account page or with "
            "`evergreen user set-password`, never through a link.",
            "user_id",
        )
    if not user.is_active:
        raise AccountError(f"{user.email} is disabled; enable them first.", "user_id")
    stale = PasswordReset.used_at.is_(None) | (PasswordReset.expires_at <= now)
    session.execute(delete(PasswordReset).where(PasswordReset.user_id == user.id, stale))
    raw = secrets.token_urlsafe(32)
    expires = reset_expiry(now)
    row = PasswordReset(
        token_hash=digest(raw), user_id=user.id, created_by=actor, expires_at=expires
    )
    session.add(row)
    url = f"{base_url.rstrip('/')}/account/reset?{urlencode({'token': raw})}"
    return ResetLink(email=user.email, url=url, expires_at=expires)


def reset_for_token(session: Session, raw: str, now: datetime | None = None) -> PasswordReset:
    """The reset a link stands for, or why it cannot be used."""
    row = None
    if raw and len(raw) <= 200:
        row = session.scalar(select(PasswordReset).where(PasswordReset.token_hash == digest(raw)))
    if row is None or not row.user.is_active:
        raise ResetLinkUnusable(_NOT_VALID)
    problem = reset_link_problem(row.expires_at, row.used_at, now or utcnow())
    if problem is not None:
        raise ResetLinkUnusable(problem)
    return row


def use_reset(session: Session, raw: str, password: str, again: str) -> User:
    """Set the password chosen through a reset link, once; every session of theirs ends."""
    now = utcnow()
    row = reset_for_token(session, raw, now)
    user = row.user
    _checked(password, again, user.email)
    # Claimed with a conditional update, so the same link sent twice at once works only once.
    claim = (
        update(PasswordReset)
        .where(PasswordReset.id == row.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(session.execute(claim), "rowcount", 0) != 1:
        raise ResetLinkUnusable(reset_link_problem(row.expires_at, now, now) or _NOT_VALID)
    _store(session, user, password)
    return user
