"""Pure account rules, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from evergreen.accounts.rules import (
    Access,
    Role,
    allows,
    can_manage_settings,
    can_use_dashboard,
    locked_until,
    password_problem,
)

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=15)


@pytest.mark.parametrize(
    ("password", "fragment"),
    [
        ("short", "at least 10"),
        (" padded password ", "spaces"),
        ("password123", "too easy"),
        ("aaaaaaaaaaaa", "too easy"),
        ("someone@example.com", "same as the email"),
        ("x" * 1025 + "abcd", "at most 1024"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(password: str, fragment: str) -> None:
    problem = password_problem(password, "someone@example.com")
    assert problem is not None
    assert fragment in problem


def test_a_long_passphrase_is_accepted() -> None:
    assert password_problem("correct horse battery", "someone@example.com") is None


def test_roles_split_dashboard_and_settings() -> None:
    assert [can_use_dashboard(r) for r in Role] == [True, True, False, False]
    assert [can_manage_settings(r) for r in Role] == [True, False, False, False]


def test_each_portal_is_its_own_roles_alone() -> None:
    assert [r for r in Role if allows(Access.BORROWER, r)] == [Role.BORROWER]
    assert [r for r in Role if allows(Access.PARTNER, r)] == [Role.PARTNER]
    assert not allows(Access.BORROWER, None)


def test_no_lock_below_the_limit() -> None:
    failures = [NOW - timedelta(minutes=m) for m in (1, 2, 3, 4)]
    assert locked_until(failures, NOW, 5, WINDOW) is None


def test_lock_at_the_limit_lasts_until_the_oldest_counted_failure_leaves_the_window() -> None:
    failures = [NOW - timedelta(minutes=m) for m in (1, 2, 3, 4, 5)]
    assert locked_until(failures, NOW, 5, WINDOW) == NOW - timedelta(minutes=5) + WINDOW


def test_old_failures_do_not_count() -> None:
    failures = [NOW - timedelta(minutes=m) for m in (1, 2, 3, 4, 16)]
    assert locked_until(failures, NOW, 5, WINDOW) is None


def test_lock_uses_the_most_recent_failures_when_there_are_more() -> None:
    failures = [NOW - timedelta(minutes=m) for m in (1, 2, 3, 4, 5, 6, 7)]
    # With seven failures the lock holds until the fifth most recent expires.
    assert locked_until(failures, NOW, 5, WINDOW) == NOW - timedelta(minutes=5) + WINDOW
