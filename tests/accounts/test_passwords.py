"""Password change, command-line set and one-time reset links, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from evergreen.accounts import service as accounts
from evergreen.accounts.errors import AccountError, ResetLinkUnusable, SignInLocked, UserNotFound
from evergreen.accounts.models import PasswordReset, User, WebSession
from evergreen.accounts.rules import Role
from evergreen.db import Database, utcnow

PASSWORD = "a long enough passphrase"
NEW = "another long passphrase"
POLICY = accounts.ThrottlePolicy(max_failures=3, window=timedelta(minutes=15))
BASE = "http://evergreen.example"


def _person(db: Database, email: str, role: Role = Role.STAFF) -> int:
    with db.session() as session:
        return accounts.create_user(session, email, PASSWORD, role).id


def _sessions(db: Database, user_id: int, count: int) -> list[str]:
    with db.session() as session:
        user = session.get(User, user_id)
        assert user is not None
        return [accounts.start_session(session, user, days=1) for _ in range(count)]


def _signs_in(db: Database, email: str, password: str) -> bool:
    with db.session() as session:
        outcome = accounts.authenticate(session, email, password, client="c", policy=POLICY)
        return outcome.user is not None


def _alive(db: Database, raws: list[str]) -> list[bool]:
    with db.session() as session:
        return [accounts.user_for_session(session, raw) is not None for raw in raws]


def _change(
    db: Database,
    user_id: int,
    current: str,
    new: str,
    again: str,
    keep: str,
    *,
    revoke_tokens: bool = False,
) -> int:
    with db.session() as session:
        user = session.get(User, user_id)
        assert user is not None
        return accounts.change_password(
            session, user, current, new, again, keep_session=keep, policy=POLICY,
            revoke_tokens=revoke_tokens,
        )  # fmt: skip


def _tokens(db: Database, user_id: int, count: int) -> list[str]:
    with db.session() as session:
        user = session.get(User, user_id)
        assert user is not None
        return [accounts.create_token(session, user, f"script {n}")[1] for n in range(count)]


def _working(db: Database, raws: list[str]) -> list[bool]:
    with db.session() as session:
        return [accounts.user_for_token(session, raw) is not None for raw in raws]


def _token(url: str) -> str:
    return url.split("token=", 1)[1]


def test_changing_the_password_keeps_this_browser_and_signs_out_the_others(db: Database) -> None:
    staff = _person(db, "staff@example.com")
    here, *others = _sessions(db, staff, 3)
    _change(db, staff, PASSWORD, NEW, NEW, here)
    assert _alive(db, [here, *others]) == [True, False, False]
    assert _signs_in(db, "staff@example.com", NEW)
    assert not _signs_in(db, "staff@example.com", PASSWORD)


def test_tokens_keep_working_after_a_change_unless_the_person_revokes_them(db: Database) -> None:
    staff, other = _person(db, "staff@example.com"), _person(db, "other@example.com")
    here = _sessions(db, staff, 1)[0]
    mine, theirs = _tokens(db, staff, 2), _tokens(db, other, 1)
    assert _change(db, staff, PASSWORD, NEW, NEW, here) == 0
    assert _working(db, mine) == [True, True]  # a routine change leaves the scripts running

    with db.session() as session:
        user = session.get(User, staff)
        assert user is not None
        accounts.revoke_token(session, user, accounts.list_tokens(session, user)[0].id)
    assert _change(db, staff, NEW, PASSWORD, PASSWORD, here, revoke_tokens=True) == 1
    assert _working(db, [*mine, *theirs]) == [False, False, True]  # only the person's own
    assert _alive(db, [here]) == [True]


def test_set_password_revokes_tokens_only_when_asked(db: Database) -> None:
    owner = _person(db, "owner@example.com", Role.OWNER)
    raws = _tokens(db, owner, 2)
    with db.session() as session:
        assert accounts.set_password(session, "owner@example.com", NEW)[1] == 0
    assert _working(db, raws) == [True, True]
    with db.session() as session:
        assert (
            accounts.set_password(session, "owner@example.com", PASSWORD, revoke_tokens=True)[1]
            == 2
        )
    assert _working(db, raws) == [False, False]


@pytest.mark.parametrize(
    ("current", "new", "again", "field"),
    [
        ("not my password at all", NEW, NEW, "current_password"),
        (PASSWORD, NEW, NEW + "x", "password_again"),
        (PASSWORD, "short", "short", "password"),
    ],
)
def test_a_refused_change_changes_nothing_and_names_the_box(
    db: Database, current: str, new: str, again: str, field: str
) -> None:
    staff = _person(db, "staff@example.com")
    here, other = _sessions(db, staff, 2)
    with pytest.raises(AccountError) as refused:
        _change(db, staff, current, new, again, here)
    assert refused.value.field == field
    assert _alive(db, [here, other]) == [True, True]
    assert _signs_in(db, "staff@example.com", PASSWORD)


def test_wrong_current_passwords_count_towards_the_sign_in_lock(db: Database) -> None:
    staff = _person(db, "staff@example.com")
    (here,) = _sessions(db, staff, 1)
    for _ in range(POLICY.max_failures):
        with pytest.raises(AccountError, match="current password is not right"):
            _change(db, staff, "a wrong guess here", NEW, NEW, here)
    with pytest.raises(SignInLocked):
        _change(db, staff, PASSWORD, NEW, NEW, here)


def test_set_password_from_the_command_line_ends_every_session_and_lifts_a_lock(
    db: Database,
) -> None:
    owner = _person(db, "owner@example.com", Role.OWNER)
    raws = _sessions(db, owner, 2)
    for _ in range(POLICY.max_failures):
        assert not _signs_in(db, "owner@example.com", "a wrong guess here")
    with db.session() as session:
        assert accounts.set_password(session, " OWNER@example.com", NEW)[0].id == owner
    assert _alive(db, raws) == [False, False]
    assert _signs_in(db, "owner@example.com", NEW)
    with pytest.raises(UserNotFound), db.session() as session:
        accounts.set_password(session, "ghost@example.com", NEW)
    with pytest.raises(AccountError, match="at least 10"), db.session() as session:
        accounts.set_password(session, "owner@example.com", "short")


def test_a_reset_link_works_once_and_signs_every_browser_out(db: Database) -> None:
    partner = _person(db, "pat@example.com", Role.PARTNER)
    raws = _sessions(db, partner, 2)
    with db.session() as session:
        link = accounts.issue_reset(
            session, "pat@example.com", actor="owner@example.com", base_url=BASE + "/"
        )
    assert link.url.startswith(f"{BASE}/account/reset?token=")
    assert link.expires_at - utcnow() > timedelta(hours=23)
    raw = _token(link.url)
    with db.session() as session:
        stored = session.scalars(select(PasswordReset.token_hash)).all()
        assert raw not in stored  # only a hash is kept
        assert accounts.reset_for_token(session, raw).user.email == "pat@example.com"
    assert _signs_in(db, "pat@example.com", PASSWORD)  # the old password works until then
    with pytest.raises(AccountError, match="differ"), db.session() as session:
        accounts.use_reset(session, raw, NEW, NEW + "x")
    with db.session() as session:
        accounts.use_reset(session, raw, NEW, NEW)
    assert _alive(db, raws) == [False, False]
    assert _signs_in(db, "pat@example.com", NEW)
    with pytest.raises(ResetLinkUnusable, match="already used"), db.session() as session:
        accounts.use_reset(session, raw, PASSWORD, PASSWORD)
    assert _signs_in(db, "pat@example.com", NEW)


def test_a_newer_link_voids_the_older_and_an_expired_one_says_so(db: Database) -> None:
    _person(db, "staff@example.com")
    with db.session() as session:
        first = accounts.issue_reset(session, "staff@example.com", actor="o", base_url=BASE)
    with db.session() as session:
        second = accounts.issue_reset(session, "staff@example.com", actor="o", base_url=BASE)
    with pytest.raises(ResetLinkUnusable, match="not valid"), db.session() as session:
        accounts.reset_for_token(session, _token(first.url))
    with db.session() as session:
        later = utcnow() + timedelta(hours=24, seconds=1)
        with pytest.raises(ResetLinkUnusable, match="expired"):
            accounts.reset_for_token(session, _token(second.url), later)
    for bad in ("", "x" * 500, "guess"):
        with pytest.raises(ResetLinkUnusable, match="not valid"), db.session() as session:
            accounts.reset_for_token(session, bad)


def test_changing_the_password_voids_an_open_reset_link(db: Database) -> None:
    staff = _person(db, "staff@example.com")
    (here,) = _sessions(db, staff, 1)
    with db.session() as session:
        link = accounts.issue_reset(session, "staff@example.com", actor="o", base_url=BASE)
    _change(db, staff, PASSWORD, NEW, NEW, here)
    with pytest.raises(ResetLinkUnusable), db.session() as session:
        accounts.reset_for_token(session, _token(link.url))


def test_no_reset_link_for_the_owner_a_disabled_or_an_unknown_person(db: Database) -> None:
    _person(db, "owner@example.com", Role.OWNER)
    gone = _person(db, "gone@example.com")
    with db.session() as session:
        user = session.get(User, gone)
        assert user is not None
        user.is_active = False
    cases = {"owner@example.com": "never through a link", "gone@example.com": "disabled"}
    for email, fragment in cases.items():
        with pytest.raises(AccountError, match=fragment), db.session() as session:
            accounts.issue_reset(session, email, actor="o", base_url=BASE)
    with pytest.raises(UserNotFound), db.session() as session:
        accounts.issue_reset(session, "ghost@example.com", actor="o", base_url=BASE)
    with db.session() as session:
        assert session.scalar(select(PasswordReset.id)) is None
        assert session.scalar(select(WebSession.id)) is None
