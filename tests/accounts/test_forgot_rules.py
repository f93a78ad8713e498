"""Forgotten-password decisions without a database: the rate limit, who gets a mail, and the one
answer every address gets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from evergreen.accounts.rules import (
    FORGOT_ANSWER,
    ResetRequestPolicy,
    Role,
    reset_mail_wanted,
    reset_request_wait,
)

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
POLICY = ResetRequestPolicy(per_address=3, per_client=10, window=timedelta(hours=1))


def _ago(*minutes: int) -> list[datetime]:
    return [NOW - timedelta(minutes=m) for m in minutes]


def test_requests_under_both_limits_go_on() -> None:
    assert reset_request_wait(_ago(1, 2), _ago(1, 2), NOW, POLICY) is None
    assert reset_request_wait([], [], NOW, POLICY) is None


def test_the_fourth_request_for_one_address_waits_until_the_oldest_leaves_the_window() -> None:
    wait = reset_request_wait(_ago(5, 20, 50), _ago(5, 20, 50), NOW, POLICY)
    assert wait == timedelta(minutes=10)


def test_one_client_asking_for_many_addresses_is_stopped_by_its_own_limit() -> None:
    client = _ago(*range(1, 11))  # ten different addresses, one each
    assert reset_request_wait(client, [], NOW, POLICY) == timedelta(minutes=50)


def test_the_longer_wait_of_the_two_limits_is_the_answer() -> None:
    client = _ago(*range(50, 60))  # frees up in 1 minute
    address = _ago(1, 2, 30)  # frees up in 30 minutes
    assert reset_request_wait(client, address, NOW, POLICY) == timedelta(minutes=30)


def test_requests_older_than_the_window_do_not_count() -> None:
    assert reset_request_wait(_ago(61, 70, 90, 120), _ago(60, 61, 62), NOW, POLICY) is None


@pytest.mark.parametrize(
    ("role", "active", "wanted"),
    [
        (None, False, False),  # no such account
        (Role.OWNER, True, False),  # a link can never take the owner's account over
        (Role.STAFF, False, False),  # disabled
        (Role.PARTNER, False, False),
        (Role.STAFF, True, True),
        (Role.PARTNER, True, True),
    ],
)
def test_only_an_active_account_that_may_receive_resets_is_mailed(
    role: Role | None, active: bool, wanted: bool
) -> None:
    assert reset_mail_wanted(role, active) is wanted


def test_the_answer_names_no_account_and_no_outcome() -> None:
    assert FORGOT_ANSWER.startswith("If an account")
    assert "{" not in FORGOT_ANSWER
