"""Account services on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from evergreen.accounts import service as accounts
from evergreen.accounts.errors import (
    AccountError,
    InvalidCredentials,
    SignInLocked,
    TokenNotFound,
    UserNotFound,
)
from evergreen.accounts.models import ApiToken, User, WebSession
from evergreen.accounts.rules import Role
from evergreen.db import Database, utcnow

PASSWORD = "a long enough passphrase"
POLICY = accounts.ThrottlePolicy(max_failures=3, window=timedelta(minutes=15))


def _owner(db: Database, email: str = "Owner@Example.com") -> int:
    with db.session() as session:
        return accounts.create_user(session, email, PASSWORD, Role.OWNER).id


def test_create_user_normalises_email_and_hashes_password(db: Database) -> None:
    user_id = _owner(db)
    with db.session() as session:
        user = session.get(User, user_id)
        assert user is not None
        assert user.email == "owner@example.com"
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash


def test_duplicate_email_second_owner_and_bad_email_are_refused(db: Database) -> None:
    _owner(db)
    cases = [
        ("OWNER@example.com", Role.STAFF, "email"),
        ("other@example.com", Role.OWNER, "role"),
        ("not-an-email", Role.STAFF, "email"),
    ]
    for email, role, field in cases:
        with pytest.raises(AccountError) as info, db.session() as session:
            accounts.create_user(session, email, PASSWORD, role)
        assert info.value.field == field


def test_authenticate_accepts_the_right_password_only(db: Database) -> None:
    _owner(db)
    with db.session() as session:
        user = accounts.authenticate(
            session, "owner@EXAMPLE.com", PASSWORD, client="1.2.3.4", policy=POLICY
        ).user
        assert user is not None
        assert user.last_login_at is not None
    with db.session() as session:
        outcome = accounts.authenticate(
            session, "owner@example.com", "wrong!", client="c", policy=POLICY
        )
        assert outcome.user is None
        assert isinstance(outcome.error, InvalidCredentials)


def _fail(db: Database, email: str, client: str, at_offset: timedelta = timedelta()) -> None:
    with db.session() as session:
        outcome = accounts.authenticate(
            session, email, "wrong password", client=client, policy=POLICY, now=utcnow() + at_offset
        )
    assert isinstance(outcome.error, InvalidCredentials)


def test_repeated_failures_lock_the_account_even_with_the_right_password(db: Database) -> None:
    _owner(db)
    for _ in range(POLICY.max_failures):
        _fail(db, "owner@example.com", "10.0.0.1")
    with db.session() as session:
        outcome = accounts.authenticate(
            session, "owner@example.com", PASSWORD, client="10.0.0.2", policy=POLICY
        )
    assert outcome.user is None
    assert isinstance(outcome.error, SignInLocked)
    assert "Try again in" in outcome.error.message
    # After the window the right password works again.
    with db.session() as session:
        later = utcnow() + POLICY.window + timedelta(seconds=1)
        user = accounts.authenticate(
            session, "owner@example.com", PASSWORD, client="10.0.0.2", policy=POLICY, now=later
        ).user
        assert user is not None
        assert user.email == "owner@example.com"


def test_one_client_guessing_many_accounts_is_throttled(db: Database) -> None:
    _owner(db)
    for n in range(POLICY.max_failures * 4):
        _fail(db, f"guess{n}@example.com", "6.6.6.6")
    with db.session() as session:
        outcome = accounts.authenticate(
            session, "owner@example.com", PASSWORD, client="6.6.6.6", policy=POLICY
        )
    assert isinstance(outcome.error, SignInLocked)


def test_sessions_open_resolve_and_end(db: Database) -> None:
    _owner(db)
    with db.session() as session:
        user = accounts.list_users(session)[0]
        raw = accounts.start_session(session, user, days=1)
    with db.session() as session:
        found = accounts.user_for_session(session, raw)
        assert found is not None
        assert found.email == "owner@example.com"
        stored = session.scalars(select(WebSession.token_hash)).all()
        assert raw not in stored
        assert accounts.user_for_session(session, raw + "x") is None
        accounts.end_session(session, raw)
    with db.session() as session:
        assert accounts.user_for_session(session, raw) is None


def test_expired_sessions_do_not_resolve(db: Database) -> None:
    _owner(db)
    with db.session() as session:
        user = accounts.list_users(session)[0]
        raw = accounts.start_session(session, user, days=1)
        row = session.scalars(select(WebSession)).one()
        row.expires_at = utcnow() - timedelta(seconds=1)
    with db.session() as session:
        assert accounts.user_for_session(session, raw) is None


def test_api_tokens_are_hashed_usable_and_revocable(db: Database) -> None:
    _owner(db)
    with db.session() as session:
        user = accounts.list_users(session)[0]
        token, raw = accounts.create_token(session, user, "script")
        token_id = token.id
    assert raw.startswith("evg_")
    with db.session() as session:
        assert raw not in session.scalars(select(ApiToken.token_hash)).all()
        found = accounts.user_for_token(session, raw)
        assert found is not None
        assert found.email == "owner@example.com"
        assert session.get(ApiToken, token_id).last_used_at is not None  # type: ignore[union-attr]
        accounts.revoke_token(session, found, token_id)
    with db.session() as session:
        assert accounts.user_for_token(session, raw) is None


def test_nobody_revokes_another_persons_token(db: Database) -> None:
    _owner(db)
    with db.session() as session:
        owner = accounts.list_users(session)[0]
        staff = accounts.create_user(session, "staff@example.com", PASSWORD, Role.STAFF)
        token, _raw = accounts.create_token(session, owner, "mine")
        token_id = token.id
    with pytest.raises(TokenNotFound) as info, db.session() as session:
        accounts.revoke_token(session, session.merge(staff), token_id)
    assert info.value.status == 404
    assert info.value.message == f"No API token with id {token_id}."


def _sign_in(db: Database, email: str, password: str) -> str:
    with db.session() as session:
        user, raw = accounts.sign_in(session, email, password, client="c", policy=POLICY, days=1)
        assert accounts.user_for_session(session, raw) is user
        return raw


def test_sign_in_opens_a_session_and_a_refusal_still_counts(db: Database) -> None:
    _owner(db)
    with pytest.raises(AccountError, match="Enter your email"):
        _sign_in(db, " ", PASSWORD)
    for _ in range(POLICY.max_failures):
        with pytest.raises(InvalidCredentials):
            _sign_in(db, "owner@example.com", "wrong!")
    # The failures were stored although each refusal rolled its unit of work back.
    with pytest.raises(SignInLocked):
        _sign_in(db, "owner@example.com", PASSWORD)
    with db.session() as session:
        accounts.add_person(session, "staff@example.com", PASSWORD, "staff")
    assert _sign_in(db, "staff@example.com", PASSWORD)


def test_add_person_adds_staff_or_partners_only(db: Database) -> None:
    _owner(db)
    with pytest.raises(AccountError) as info, db.session() as session:
        accounts.add_person(session, "x@example.com", PASSWORD, "owner")
    assert (info.value.field, info.value.message) == ("role", "Role must be staff or partner.")
    with db.session() as session:
        assert accounts.add_person(session, "p@example.com", PASSWORD, "partner").role == "partner"


def test_set_up_owner_and_other_areas_queries(db: Database) -> None:
    with db.session() as session:
        raw = accounts.set_up_owner(session, "Boss@Example.com", PASSWORD, days=1)
        owner = accounts.user_for_session(session, raw)
        assert owner is not None
        assert owner.role == accounts.Role.OWNER
    with db.session() as session:
        assert accounts.account_exists(session, "BOSS@example.com")
        assert not accounts.account_exists(session, "nobody@example.com")


def test_issue_token_names_a_missing_person(db: Database) -> None:
    _owner(db)
    with pytest.raises(UserNotFound) as info, db.session() as session:
        accounts.issue_token(session, "ghost@example.com", "cli")
    assert info.value.status == 404
    assert "No user with email ghost@example.com" in info.value.message
    with db.session() as session:
        raw = accounts.issue_token(session, "OWNER@example.com", "cli")
        assert accounts.user_for_token(session, raw) is not None
