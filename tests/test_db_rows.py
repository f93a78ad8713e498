"""A primary key no 64-bit column can hold names no row, on SQLite and PostgreSQL alike: ids come
from forms, bodies and files as well as routes, and such a key used to raise (a 500)."""

from __future__ import annotations

from evergreen.accounts import service as accounts
from evergreen.accounts.models import User
from evergreen.accounts.rules import Role
from evergreen.db import MAX_DB_INT, MAX_ID, Database
from evergreen.links.models import Click


def test_a_key_past_64_bits_finds_nothing_and_a_stored_one_is_found(db: Database) -> None:
    with db.session() as session:
        user_id = accounts.create_user(
            session, "owner@example.com", "long enough pw", Role.OWNER
        ).id
    with db.session() as session:
        for key in (MAX_ID + 1, MAX_DB_INT + 1, -MAX_DB_INT - 2, (MAX_DB_INT,), {"id": 2**64}):
            assert session.get(User, key) is None, key
        assert session.get(User, MAX_ID) is None  # the largest ID every database holds: no row
        found = session.get(User, user_id)
        assert found is not None
        assert found.email == "owner@example.com"
    with db.session(writer=False) as session:
        assert session.get(User, 2**31) is None
        assert session.get(Click, 2**40) is None  # a 64-bit ID column: asked, nothing there
