"""Ingesters' heartbeats are written and read by the database's clock, which every server shares:
a machine whose clock runs ahead does not take its peers for gone and decide clicks alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete

from evergreen.db import Database
from evergreen.links.clicks import ingest
from evergreen.links.clicks.ingest import ClickPolicy
from evergreen.links.clicks.shared import database_now
from evergreen.links.models import ClickIngester


class _AheadClock(datetime):
    """This machine's clock, five minutes ahead of the others'."""

    @classmethod
    def now(cls, tz: object = None) -> _AheadClock:  # type: ignore[override]
        moment = datetime.now(UTC) + timedelta(minutes=5)
        return cls.fromtimestamp(moment.timestamp(), UTC)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_server_with_a_clock_ahead_still_sees_the_other_ingesters(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    with db.session() as session:
        session.execute(delete(ClickIngester))
        session.add(ClickIngester(name="peer", seen_at=database_now(session)))
    monkeypatch.setattr(ingest, "datetime", _AheadClock)
    with db.session() as session:
        assert ingest._shared(session, ClickPolicy(), "ahead", {(1, "visitor")})
        noted = session.get(ClickIngester, "ahead")
        assert noted is not None
        assert abs(noted.seen_at - datetime.now(UTC)) < timedelta(seconds=30)


def test_the_database_clock_is_this_machines_on_sqlite_and_close_to_it_on_postgresql(
    db: Database,
) -> None:
    with db.session() as session:
        now = database_now(session)
    assert now.tzinfo is not None
    assert abs(now - datetime.now(UTC)) < timedelta(seconds=30)
