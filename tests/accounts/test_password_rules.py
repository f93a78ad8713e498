"""Pure password-change and reset-link rules, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from evergreen.accounts.rules import (
    RESET_HOURS,
    Role,
    can_receive_reset,
    new_password_problem,
    reset_expiry,
    reset_link_problem,
)

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
EMAIL = "someone@example.com"
GOOD = "correct horse battery"


@pytest.mark.parametrize(
    ("password", "again", "field", "fragment"),
    [
        (GOOD, GOOD + "!", "password_again", "The two passwords differ"),
        ("short", "short", "password", "Password must be at least 10 characters long."),
        ("password123", "password123", "password", "too easy to guess"),
        (EMAIL, EMAIL, "password", "same as the email"),
    ],
)
def test_a_new_password_typed_twice_says_which_box_to_fix(
    password: str, again: str, field: str, fragment: str
) -> None:
    problem = new_password_problem(password, again, EMAIL)
    assert problem is not None
    assert problem[0] == field
    assert fragment in problem[1]


def test_the_same_policy_as_sign_up_accepts_a_long_phrase() -> None:
    assert new_password_problem(GOOD, GOOD, EMAIL) is None


def test_reset_links_are_for_staff_partners_and_borrowers_never_the_owner() -> None:
    assert [can_receive_reset(role) for role in Role] == [False, True, True, True]


def test_a_reset_link_lasts_a_day() -> None:
    assert RESET_HOURS == 24
    assert reset_expiry(NOW) == NOW + timedelta(hours=24)


def test_a_reset_link_works_until_it_expires_and_only_unused() -> None:
    expires = reset_expiry(NOW)
    assert reset_link_problem(expires, None, NOW) is None
    assert reset_link_problem(expires, None, expires - timedelta(seconds=1)) is None
    expired = reset_link_problem(expires, None, expires)
    assert expired is not None
    assert "expired" in expired
    used = reset_link_problem(expires, NOW, NOW)
    assert used is not None
    assert "already used" in used
