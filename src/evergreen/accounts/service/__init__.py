"""Account use cases: create people, sign them in and out, issue and check API tokens.

Passwords (change, set, reset links) live in `passwords`; everything is reached from here.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from evergreen.accounts.errors import (
    AccountError,
    InvalidCredentials,
    SignInLocked,
    TokenNotFound,
    UserNotFound,
)
from evergreen.accounts.models import ApiToken, LoginFailure, PasswordReset, User, WebSession
from evergreen.accounts.rules import (
    SESSION_COOKIE,
    Role,
    can_use_dashboard,
    locked_until,
    password_problem,
    session_claim,
    session_cookie_value,
    session_token,
)
from evergreen.accounts.service.forgot import ForgotOutcome, mail_request_wait, request_reset
from evergreen.accounts.service.hashing import digest as _digest
from evergreen.accounts.service.hashing import hasher as _hasher
from evergreen.accounts.service.passwords import (
    ResetLink,
    change_password,
    issue_reset,
    reset_for_token,
    set_password,
    use_reset,
)
from evergreen.db import serialize_on, utcnow, write_if_free, write_unless_taken

__all__ = [
    "SESSION_COOKIE",
    "ForgotOutcome",
    "ResetLink",
    "Role",
    "SignIn",
    "ThrottlePolicy",
    "account_exists",
    "add_person",
    "authenticate",
    "change_password",
    "check_password",
    "create_token",
    "create_user",
    "end_session",
    "get_token",
    "get_user",
    "hash_in_vain",
    "issue_reset",
    "issue_token",
    "list_tokens",
    "list_users",
    "mail_request_wait",
    "move_email",
    "normalize_email",
    "owner_email",
    "owner_exists",
    "request_reset",
    "reset_for_token",
    "revoke_token",
    "session_claim",
    "session_cookie",
    "set_password",
    "set_up_owner",
    "sign_in",
    "start_session",
    "team_session",
    "use_reset",
    "user_by_email",
    "user_for_session",
    "user_for_token",
]

TOKEN_PREFIX = "evg_"  # noqa: S105 (a public prefix, not a secret)
# Verifying against a throwaway hash keeps unknown emails as slow as wrong passwords.


@cache
def _dummy_hash() -> str:
    """A hash to verify against when the email is unknown (same time either way); made on first
    use, not at import, so commands that never sign anyone in do not pay for it."""
    return _hasher.hash(secrets.token_urlsafe(16))


_TOUCH = timedelta(minutes=1)


@dataclass(frozen=True)
class SignIn:
    """A sign-in's outcome; returned, not raised, so the failure it records is committed."""

    user: User | None
    error: AccountError | None = None


@dataclass(frozen=True)
class ThrottlePolicy:
    """How many failed sign-ins lock an account (and, four times as many, a client) and how long."""

    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)


def normalize_email(email: str) -> str:
    """Validate an email address and return it in the form it is stored (lower case)."""
    try:
        result = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise AccountError(f"Not a valid email address: {exc}", field="email") from None
    return result.normalized.lower()


def owner_exists(session: Session) -> bool:
    """Whether first-run setup is done."""
    return session.scalar(select(func.count()).where(User.role == Role.OWNER.value)) != 0


def owner_email(session: Session) -> str | None:
    """The owner's address (the first owner's), where notifications about the business go."""
    return session.scalar(
        select(User.email).where(User.role == Role.OWNER.value).order_by(User.id).limit(1)
    )


def account_exists(session: Session, email: str) -> bool:
    """Whether someone already signs in with this email (other areas ask before inviting)."""
    return session.scalar(select(User.id).where(User.email == email.lower())) is not None


def user_by_email(session: Session, email: str) -> User | None:
    """The person who signs in with this email, if any (other areas link their rows to it)."""
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def check_password(address: str, password: str) -> None:
    """Refuse a new password that is too weak, saying why (AccountError on `password`)."""
    problem = password_problem(password, address)
    if problem:
        raise AccountError(f"Password {problem}.", field="password")


def hash_in_vain(password: str) -> None:
    """Spend the time creating an account takes, so an answer that creates none is not faster."""
    _hasher.hash(password)


def create_user(session: Session, email: str, password: str, role: Role) -> User:
    """Add a person; refuses a weak password, a duplicate email and a second owner."""
    address = normalize_email(email)
    check_password(address, password)
    if _email_taken(session, address):
        raise AccountError(f"A user with email {address} already exists.", field="email")
    if role is Role.OWNER:
        serialize_on(session, "accounts:owner")  # two first-run set-ups at once make one owner
        if owner_exists(session):
            raise AccountError("This installation already has an owner.", field="role")
    user = User(email=address, password_hash=_hasher.hash(password), role=role.value)
    try:
        with session.begin_nested():  # the same address added twice at the same moment
            session.add(user)
            session.flush()
    except IntegrityError:
        if not _email_taken(session, address):
            raise
        raise AccountError(f"A user with email {address} already exists.", field="email") from None
    return user


def _email_taken(session: Session, address: str) -> bool:
    return session.scalar(select(User.id).where(User.email == address)) is not None


def move_email(session: Session, user_id: int, email: str) -> User:
    """Move a sign-in to the address another area's record of the person now has (a borrower's,
    changed by the owner); one someone else signs in with is refused. Reset links not yet used
    end: they were sent to the old address."""
    user = get_user(session, user_id)
    address = normalize_email(email)
    if address == user.email:
        return user

    def write() -> None:
        user.email = address

    if not write_unless_taken(session, write, lambda: _email_taken(session, address)):
        raise AccountError(f"{address} already signs in here; give them another email.", "email")
    unused = PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None)
    session.execute(delete(PasswordReset).where(*unused))
    return user


def set_up_owner(session: Session, email: str, password: str, *, days: int) -> str:
    """First-run setup: create the owner and open their browser session (its raw token)."""
    owner = create_user(session, email, password, Role.OWNER)
    return start_session(session, owner, days=days)


def add_person(session: Session, email: str, password: str, role: str) -> User:
    """The owner adds staff or a partner; a second owner is never added this way."""
    if role not in (Role.STAFF.value, Role.PARTNER.value):
        raise AccountError("Role must be staff or partner.", field="role")
    return create_user(session, email, password, Role(role))


def get_user(session: Session, user_id: int) -> User:
    """One person by id, or a 404 that says so."""
    user = session.get(User, user_id)
    if user is None:
        raise UserNotFound(f"No user with id {user_id}.", "user_id")
    return user


def list_users(session: Session) -> list[User]:
    """Everyone who can sign in, owner first."""
    return list(session.scalars(select(User).order_by(User.id)))


def _failure_times(session: Session, key: str, since: datetime) -> list[datetime]:
    query = select(LoginFailure.at).where(LoginFailure.key == key, LoginFailure.at > since)
    return list(session.scalars(query))


def _matches(password_hash: str, password: str) -> bool:
    """Whether the password is the one this hash was made from."""
    try:
        return bool(_hasher.verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def authenticate(
    session: Session,
    email: str,
    password: str,
    *,
    client: str,
    policy: ThrottlePolicy,
    now: datetime | None = None,
) -> SignIn:
    """Check a sign-in, counting failures per account and per client."""
    address = email.strip().lower()
    keys = {f"email:{address}": policy.max_failures, f"client:{client}": policy.max_failures * 4}
    # Count, check the password and record the failure as one step: parallel guesses for the
    # same account or from the same client wait here instead of all passing the count at once.
    serialize_on(session, *(f"sign-in:{key}" for key in keys))
    now = now or utcnow()  # read after the wait, so the failures just recorded are counted
    for key, limit in keys.items():
        times = _failure_times(session, key, now - policy.window)
        until = locked_until(times, now, limit, policy.window)
        if until is not None:
            return SignIn(None, SignInLocked(until, now))
    user = session.scalar(select(User).where(User.email == address))
    verified = _matches(user.password_hash if user else _dummy_hash(), password)
    if verified and user is not None:
        # Read afresh and locked until this sign-in commits: a password changed (or the person
        # disabled) meanwhile is the one that counts, its change waits for this session to be
        # opened so that it ends it, and the upgrade below never writes back the old password.
        checked = user.password_hash
        session.refresh(user, with_for_update=True)
        verified = user.is_active and (
            user.password_hash == checked or _matches(user.password_hash, password)
        )
    if not verified or user is None:
        session.add_all(LoginFailure(key=key, at=now) for key in keys)
        session.execute(delete(LoginFailure).where(LoginFailure.at < now - 4 * policy.window))
        return SignIn(None, InvalidCredentials())
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    session.execute(delete(LoginFailure).where(LoginFailure.key == f"email:{address}"))
    user.last_login_at = now
    return SignIn(user)


def sign_in(
    session: Session,
    email: str,
    password: str,
    *,
    client: str,
    policy: ThrottlePolicy,
    days: int,
    user_agent: str = "",
) -> tuple[User, str]:
    """Check a sign-in and open a session (its raw token); a refusal is raised once counted."""
    if not email.strip() or not password:
        raise AccountError("Enter your email address and your password.")
    outcome = authenticate(session, email, password, client=client, policy=policy)
    if outcome.error is not None:
        # The refusal rolls the unit of work back; the failure it counts must outlive that.
        session.commit()
        raise outcome.error
    assert outcome.user is not None
    return outcome.user, start_session(session, outcome.user, days=days, user_agent=user_agent)


def start_session(session: Session, user: User, *, days: int, user_agent: str = "") -> str:
    """Open a browser session and return the raw token for the cookie (never stored)."""
    raw = secrets.token_urlsafe(32)
    expires = utcnow() + timedelta(days=days)
    session.add(
        WebSession(
            token_hash=_digest(raw),
            user_id=user.id,
            expires_at=expires,
            user_agent=user_agent[:255],
        )
    )
    return raw


def session_cookie(secret: str, role: str, raw: str, *, days: int) -> str:
    """The value of the session cookie for a session just started (its token and role claim)."""
    expires = utcnow() + timedelta(days=days)
    return session_cookie_value(secret, raw, Role(role), expires)


def team_session(secret: str, cookie: str, now: datetime) -> bool:
    """Whether a session cookie is an owner's or staff member's, by its signed role claim alone
    (no database read: the redirect asks this for every click that carries one)."""
    role = session_claim(secret, cookie, now)
    return role is not None and can_use_dashboard(role)


def user_for_session(session: Session, cookie: str) -> User | None:
    """The active person behind a session cookie, or None when it is unknown or expired."""
    digest = _digest(session_token(cookie))
    row = session.scalar(select(WebSession).where(WebSession.token_hash == digest))
    if row is None or row.expires_at <= utcnow() or not row.user.is_active:
        return None
    return row.user


def end_session(session: Session, cookie: str) -> None:
    """Sign out: the cookie's session stops working at once."""
    digest = _digest(session_token(cookie))
    session.execute(delete(WebSession).where(WebSession.token_hash == digest))


def create_token(session: Session, user: User, name: str) -> tuple[ApiToken, str]:
    """Issue an API token; the raw value is returned once and only its hash is kept."""
    label = name.strip()
    if not label or len(label) > 100:
        raise AccountError("Token name must be 1 to 100 characters.", field="name")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=label,
        prefix=raw[: len(TOKEN_PREFIX) + 6],
        token_hash=_digest(raw),
    )
    session.add(token)
    session.flush()
    return token, raw


def issue_token(session: Session, email: str, name: str) -> str:
    """An API token for the person with this email (from the command line), shown once."""
    user = session.scalar(select(User).where(User.email == email.lower()))
    if user is None:
        raise UserNotFound(f"No user with email {email}; see `evergreen user list`.", "email")
    return create_token(session, user, name)[1]


def user_for_token(session: Session, raw: str) -> User | None:
    """The active person behind an API token, or None when it is unknown or revoked."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(raw)))
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > _TOUCH:
        _touch(session, token, now)
    return token.user


def _touch(session: Session, token: ApiToken, now: datetime) -> None:
    """Note when a token was last used; best effort, and only by the first request in a while,
    so parallel requests with one token neither queue on its row nor fail a read."""
    free = (
        select(ApiToken.id)
        .where(ApiToken.id == token.id)
        .where(or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < now - _TOUCH))
        .with_for_update(skip_locked=True)  # another request is touching it: leave it to that one
    )
    stamp = update(ApiToken).where(ApiToken.id.in_(free)).values(last_used_at=now)
    write_if_free(session, stamp.execution_options(synchronize_session=False))


def list_tokens(session: Session, user: User) -> list[ApiToken]:
    """A person's tokens, newest first, revoked ones included for the record."""
    query = select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
    return list(session.scalars(query))


def get_token(session: Session, user: User, token_id: int) -> ApiToken:
    """One of a person's own tokens, or a 404: nobody sees another's tokens."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise TokenNotFound(f"No API token with id {token_id}.", field="token_id")
    return token


def revoke_token(session: Session, user: User, token_id: int) -> ApiToken:
    """Stop a token from working; a person can revoke only their own."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise TokenNotFound(f"No API token with id {token_id}.", field="token_id")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    return token
