"""The visitor salt across servers, on SQLite and PostgreSQL: two runtimes on one database hash
a visitor alike at every moment — around midnight too, whichever of them has moved on to the
new day — and salts older than yesterday are deleted."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from evergreen.config import Settings
from evergreen.db import Database
from evergreen.links.clicks.runtime import LinkRuntime
from evergreen.links.models import VisitorSalt

UA = "Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0"


def _midnight(day: date) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()


def test_two_servers_hash_a_visitor_alike_across_midnight(db: Database, settings: Settings) -> None:
    day = date(2026, 12, 6)
    first, second = (
        LinkRuntime(settings, db, "s", ingest=False),
        LinkRuntime(settings, db, "s", ingest=False),
    )
    first.salt.refresh(day)
    second.salt.refresh(day)
    before, after = (
        _midnight(day + timedelta(days=1)) - 0.1,
        _midnight(day + timedelta(days=1)) + 0.1,
    )
    noon = _midnight(day) + 43_200
    assert first.visitor("203.0.113.9", UA, noon) == second.visitor("203.0.113.9", UA, noon)
    assert first.visitor("203.0.113.9", UA, noon) != first.visitor("203.0.113.10", UA, noon)
    # The first server has moved on to the new day, the second not yet: still one visitor.
    first.salt.refresh(day + timedelta(days=1))
    for at in (before, after):
        assert first.visitor("203.0.113.9", UA, at) == second.visitor("203.0.113.9", UA, at)
    # A new day, a new salt: the same person is not linkable across days.
    assert first.visitor("203.0.113.9", UA, noon) != first.visitor("203.0.113.9", UA, after)
    # A server started later reads the same salts.
    third = LinkRuntime(settings, db, "s", ingest=False)
    third.salt.refresh(day + timedelta(days=1))
    assert third.visitor("203.0.113.9", UA, after) == first.visitor("203.0.113.9", UA, after)
    first.salt.refresh(day + timedelta(days=3))
    with db.session(writer=False) as session:
        days = sorted(session.scalars(select(VisitorSalt.day)))
    assert days[0] >= day + timedelta(days=2)  # older than yesterday: gone
    for runtime in (first, second, third):
        runtime.spool.close()
