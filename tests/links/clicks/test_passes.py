"""How a pass goes through the spool: under its ingester's own name from first batch to last, and
in time order across segments, so the ingester's memory decides every click (a batch out of order,
or a pass that took itself for a second ingester, decided its clicks again from the database)."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import delete, select

from evergreen.db import Database
from evergreen.links.clicks.ingest import ClickPolicy, ingest_pending
from evergreen.links.clicks.shared import ingester_name
from evergreen.links.clicks.spool import ClickSpool, SpoolReader
from evergreen.links.models import Click, ClickIngester
from tests.links.clicks.test_clicks import _link, _spool, click


def test_a_pass_past_a_finished_segment_keeps_its_ingesters_name(
    db: Database, tmp_path: Path
) -> None:
    link_id = _link(db)
    folder = tmp_path / "spool"
    with db.session() as session:
        session.execute(delete(ClickIngester))
    _spool(folder, [click(link_id)])
    _spool(folder, [click(link_id) for _ in range(5)])
    # Batches of 2: the first takes the short segment (finished) and two of the longer one's
    # clicks; the pass goes on for the other three after removing the finished segment.
    assert ingest_pending(db, SpoolReader(folder), ClickPolicy(), batch=2) == 6
    with db.session() as session:
        assert set(session.scalars(select(ClickIngester.name))) == {ingester_name(folder)}


def test_a_segment_read_in_parts_is_stored_before_a_later_one(db: Database, tmp_path: Path) -> None:
    """A pass cut a long segment at its batch size and went on to the next segment, whose
    clicks are later: the long one's rest then came after them, and every click of that batch
    was decided again from the database (clicks stored out of time order)."""
    link_id = _link(db)
    folder = tmp_path / "spool"
    _spool(folder, [click(link_id) for _ in range(7)])
    _spool(folder, [click(link_id) for _ in range(3)])
    assert ingest_pending(db, SpoolReader(folder), ClickPolicy(), batch=4) == 10
    assert _in_time_order(db)


def test_segments_written_at_the_same_time_are_stored_in_time_order(
    db: Database, tmp_path: Path
) -> None:
    """Two web processes spool at the same moments (a segment each): a pass cut at its batch
    size merges them by time instead of taking one segment's batch, then the other's."""
    link_id = _link(db)
    folder = tmp_path / "spool"
    first, second = ClickSpool(folder), ClickSpool(folder)
    start = time.time()
    for i in range(6):
        first.append(click(link_id, t=start + 2 * i))
        second.append(click(link_id, t=start + 2 * i + 1))
    first.close()
    second.close()
    assert ingest_pending(db, SpoolReader(folder), ClickPolicy(), batch=4) == 12
    assert _in_time_order(db)
    assert list(folder.glob("*.clicks")) == []


def _in_time_order(db: Database) -> bool:
    """Whether the clicks were stored (by row id) in the order they happened."""
    with db.session() as session:
        stored = list(session.scalars(select(Click.at).order_by(Click.id)))
    return stored == sorted(stored)
