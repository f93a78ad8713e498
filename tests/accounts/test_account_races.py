"""Account changes landing at the same moment. A sign-in whose hash is upgraded (the hashing
parameters changed) while the password is changed never writes the old password back (before,
it stored the hash of the password it had just verified over the new one, under READ
COMMITTED), and the password that counts is the new one: a sign-in that checked the old one
either fails or opens a session the change then ends. Two people added with one address at
once: one is refused naming the email (before, a unique-key error, a 500). Two first-run
set-ups at once make one owner (before, both passed the check and two owners were made)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evergreen.accounts import service as accounts
from evergreen.accounts.errors import AccountError, InvalidCredentials
from evergreen.accounts.models import User, WebSession
from evergreen.accounts.rules import Role
from evergreen.accounts.service import hashing
from evergreen.db import Database
from tests.http_helpers import PASSWORD
from tests.races import Outcome, race

POLICY = accounts.ThrottlePolicy(max_failures=5, window=timedelta(minutes=15))
NEW = "another long passphrase"
EMAIL = "staff@example.com"


def _staff_with_an_old_hash(db: Database) -> None:
    """Staff whose password was hashed with parameters since changed (an upgrade is due)."""
    older = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    with db.session() as session:
        user = accounts.create_user(session, EMAIL, PASSWORD, Role.STAFF)
        user.password_hash = older.hash(PASSWORD)
    with db.session(writer=False) as session:
        stored = session.scalars(select(User.password_hash)).one()
        assert accounts._hasher.check_needs_rehash(stored)


def _stored_hash(db: Database) -> str:
    with db.session(writer=False) as session:
        return session.scalars(select(User.password_hash).where(User.email == EMAIL)).one()


def test_a_hash_upgrade_never_writes_back_a_password_changed_at_that_moment(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    _staff_with_an_old_hash(db)

    def sign_in(session: Session) -> object:
        return accounts.authenticate(session, EMAIL, PASSWORD, client="203.0.113.9", policy=POLICY)

    def change(session: Session) -> object:
        return accounts.set_password(session, EMAIL, NEW)[1]

    (signed, sign_in_error), (_changed, change_error) = race(
        db, monkeypatch, sign_in, change,
        pause_at=(PasswordHasher, "verify"), pause_after=True,
    )  # fmt: skip
    assert (sign_in_error, change_error) == (None, None)
    stored = _stored_hash(db)
    assert hashing.hasher.verify(stored, NEW)
    assert isinstance(signed, accounts.SignIn)
    # PostgreSQL: the new password was stored while the old one was being checked, so the old
    # one no longer signs in; SQLite: the sign-in went first, then the change.
    if signed.user is None:
        assert isinstance(signed.error, InvalidCredentials)


def test_a_sign_in_finished_while_the_password_changes_is_ended_by_the_change(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    with db.session() as session:
        accounts.create_user(session, EMAIL, PASSWORD, Role.STAFF)

    def sign_in(session: Session) -> object:
        return accounts.sign_in(
            session, EMAIL, PASSWORD, client="203.0.113.9", policy=POLICY, days=1
        )[1]

    def change(session: Session) -> object:
        return accounts.set_password(session, EMAIL, NEW)[1]

    (_raw, sign_in_error), (_changed, change_error) = race(
        db, monkeypatch, sign_in, change, pause_at=(PasswordHasher, "check_needs_rehash"),
    )  # fmt: skip
    assert (sign_in_error, change_error) == (None, None)
    with db.session(writer=False) as session:  # before, the old password's session outlived it
        assert session.scalar(select(func.count()).select_from(WebSession)) == 0


def _one_refused(first: Outcome, second: Outcome, field: str, message: str) -> None:
    refused = [error for _value, error in (first, second) if error is not None]
    assert len(refused) == 1, (first, second)
    assert isinstance(refused[0], AccountError), refused[0]
    assert refused[0].status == 422
    assert (refused[0].field, refused[0].message) == (field, message)


def test_one_address_added_twice_at_once_makes_one_person(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    def add(role: str) -> object:
        return lambda session: accounts.add_person(session, EMAIL, PASSWORD, role).id

    first, second = race(
        db, monkeypatch, add("staff"), add("partner"),  # type: ignore[arg-type]
        pause_at=(accounts, "_email_taken"), pause_after=True,
    )  # fmt: skip
    _one_refused(first, second, "email", f"A user with email {EMAIL} already exists.")


def test_two_first_run_set_ups_at_once_make_one_owner(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    def set_up(email: str) -> object:
        return lambda session: accounts.set_up_owner(session, email, PASSWORD, days=1)

    first, second = race(
        db, monkeypatch, set_up("one@example.com"), set_up("two@example.com"),  # type: ignore[arg-type]
        pause_at=(accounts, "owner_exists"), pause_after=True,
    )  # fmt: skip
    _one_refused(first, second, "role", "This installation already has an owner.")
    with db.session(writer=False) as session:
        owners = select(func.count()).where(User.role == Role.OWNER.value)
        assert session.scalar(owners) == 1
