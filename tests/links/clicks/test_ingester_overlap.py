"""Two ingesters overlap unless they decide the same (link, visitor) (issue 16: ingestion keeps up
with two servers). Each batch locks (link, visitor) buckets until it commits, not whole links:
on PostgreSQL a second ingester storing other visitors of the same link does not wait."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from evergreen.db import Database
from evergreen.links import service
from evergreen.links.clicks.ingest import ClickPolicy, ingest_records
from evergreen.links.clicks.shared import LOCK_BUCKETS, lock_bucket, lock_visitors
from evergreen.links.drafts import LinkDraft
from evergreen.links.models import Click

pytestmark = pytest.mark.postgres

SHARED = ClickPolicy(unique_window=timedelta(minutes=2), flood_per_minute=3, ingesters="shared")
HUMAN = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36"
_ids = itertools.count(1)


def _click(link_id: int, visitor: str) -> dict[str, object]:
    at = datetime.now(UTC).timestamp() - 60
    return {"id": f"{next(_ids):032x}", "l": link_id, "t": at, "v": visitor, "ua": HUMAN}


def _other_bucket(link_id: int, visitor: str) -> str:
    return next(
        f"v{n}"
        for n in range(1000)
        if lock_bucket(link_id, f"v{n}") != lock_bucket(link_id, visitor)
    )


def _link(db: Database) -> int:
    with db.session() as session:
        draft = LinkDraft(destination="https://shop.example/", slug="overlap")
        return service.create_link(session, draft).link.id


def test_buckets_are_few_and_the_same_everywhere() -> None:
    assert lock_bucket(7, "alice") == lock_bucket(7, "alice")  # crc32: not salted per process
    buckets = {lock_bucket(link, f"v{n}") for link in range(50) for n in range(200)}
    assert buckets == set(range(LOCK_BUCKETS))


def test_a_second_ingester_on_other_visitors_of_the_same_link_does_not_wait(pg: Database) -> None:
    """The first holds alice's bucket, as while it decides and inserts her clicks; only the
    rollup rows, upserted last, are waited for (from that upsert to the first's commit)."""
    link_id = _link(pg)
    other = _other_bucket(link_id, "alice")
    with pg.session() as first:
        lock_visitors(first, [(link_id, "alice")])
        with pg.session() as second:
            second.connection().exec_driver_sql("SET LOCAL lock_timeout = '2s'")
            assert ingest_records(second, [_click(link_id, other)], SHARED) == 1
        assert ingest_records(first, [_click(link_id, "alice")], SHARED) == 1
    with pg.session() as session:
        assert session.scalar(select(func.count()).select_from(Click)) == 2


def test_a_second_ingester_on_the_same_visitor_waits_for_the_first(pg: Database) -> None:
    link_id = _link(pg)
    with pg.session() as first:
        lock_visitors(first, [(link_id, "alice")])
        second = pg.sessions()
        try:
            second.connection().exec_driver_sql("SET LOCAL lock_timeout = '200ms'")
            with pytest.raises(OperationalError, match="lock timeout"):
                ingest_records(second, [_click(link_id, "alice")], SHARED)
        finally:
            second.rollback()
            second.close()
