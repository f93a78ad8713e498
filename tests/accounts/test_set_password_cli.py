"""`evergreen user set-password EMAIL` as a person runs it: stdin or a hidden prompt, one line."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from evergreen.accounts import service as accounts
from evergreen.accounts.rules import Role
from evergreen.db import Database
from tests.cli_helpers import evergreen

PASSWORD = "a long enough passphrase"
NEW = "another long passphrase"
POLICY = accounts.ThrottlePolicy(max_failures=5, window=timedelta(minutes=15))


def _owner_with_a_session(database_url: str) -> str:
    db = Database(database_url)
    try:
        with db.session() as session:
            owner = accounts.create_user(session, "owner@example.com", PASSWORD, Role.OWNER)
            return accounts.start_session(session, owner, days=1)
    finally:
        db.dispose()


def _state(database_url: str, raw: str) -> tuple[bool, bool, bool]:
    """(session alive, old password works, new password works)."""
    db = Database(database_url)
    try:
        with db.session() as session:
            alive = accounts.user_for_session(session, raw) is not None
            checks = [
                accounts.authenticate(
                    session, "owner@example.com", word, client="t", policy=POLICY
                ).user
                is not None
                for word in (PASSWORD, NEW)
            ]
        return alive, checks[0], checks[1]
    finally:
        db.dispose()


def test_set_password_reads_standard_input_and_signs_the_browsers_out(
    tmp_path: Path, database_url: str
) -> None:
    raw = _owner_with_a_session(database_url)
    done = evergreen(
        "user", "set-password", "Owner@Example.com",
        data_dir=tmp_path, database_url=database_url, stdin=NEW + "\n",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Password of owner@example.com changed" in done.stdout
    assert _state(database_url, raw) == (False, False, True)


def test_set_password_mistakes_are_one_line_and_change_nothing(
    tmp_path: Path, database_url: str
) -> None:
    raw = _owner_with_a_session(database_url)
    cases = [
        (["owner@example.com"], "short\n", "at least 10 characters"),
        (["ghost@example.com"], NEW + "\n", "No user with email ghost@example.com"),
        (["owner@example.com", "--password-stdin"], "", "standard input was empty"),
    ]
    for args, stdin, message in cases:
        result = evergreen(
            "user", "set-password", *args,
            data_dir=tmp_path, database_url=database_url, stdin=stdin,
        )  # fmt: skip
        assert result.returncode == 2, args
        assert message in result.stderr
        assert "Traceback" not in result.stderr + result.stdout
    assert _state(database_url, raw) == (True, True, False)


def test_set_password_revokes_the_api_tokens_only_with_the_flag(
    tmp_path: Path, database_url: str
) -> None:
    _owner_with_a_session(database_url)
    db = Database(database_url)
    try:
        with db.session() as session:
            raw = accounts.issue_token(session, "owner@example.com", "nightly export")

        def works() -> bool:
            with db.session() as session:
                return accounts.user_for_token(session, raw) is not None

        kept = evergreen(
            "user", "set-password", "owner@example.com",
            data_dir=tmp_path, database_url=database_url, stdin=NEW + "\n",
        )  # fmt: skip
        assert kept.returncode == 0, kept.stderr
        assert "revoked" not in kept.stdout
        assert works()
        revoked = evergreen(
            "user", "set-password", "owner@example.com", "--revoke-tokens",
            data_dir=tmp_path, database_url=database_url, stdin=PASSWORD + "\n",
        )  # fmt: skip
        assert revoked.returncode == 0, revoked.stderr
        assert "1 API token(s) revoked" in revoked.stdout
        assert not works()
    finally:
        db.dispose()
