"""Parallel wrong passwords for one account get no more password checks than the limit."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select

from evergreen.accounts import service as accounts
from evergreen.accounts.errors import InvalidCredentials, SignInLocked
from evergreen.accounts.models import LoginFailure
from evergreen.accounts.rules import Role
from evergreen.db import Database
from tests.http_helpers import PASSWORD

POLICY = accounts.ThrottlePolicy(max_failures=5, window=timedelta(minutes=15))
GUESSES = 30


def test_30_parallel_wrong_passwords_get_at_most_5_checks(db: Database) -> None:
    with db.session() as session:
        accounts.create_user(session, "owner@example.com", PASSWORD, Role.OWNER)
    start = threading.Barrier(GUESSES)
    outcomes: list[str] = []
    lock = threading.Lock()

    def guess(n: int) -> None:
        start.wait(30)
        try:
            with db.session() as session:
                accounts.sign_in(
                    session, "owner@example.com", f"wrong guess {n}", client="203.0.113.9",
                    policy=POLICY, days=1,
                )  # fmt: skip
            answer = "signed in"
        except (InvalidCredentials, SignInLocked) as exc:
            answer = type(exc).__name__
        with lock:
            outcomes.append(answer)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(GUESSES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    # A wrong password is answered InvalidCredentials and leaves a failure only once it was
    # checked; the rest were locked out before their password was looked at.
    assert Counter(outcomes) == {"InvalidCredentials": 5, "SignInLocked": GUESSES - 5}
    with db.session() as session:
        checked = session.scalar(
            select(func.count()).where(LoginFailure.key == "email:owner@example.com")
        )
    assert checked == 5
