"""A request that already holds SQLite's write lock reads clicks through the spool without
waiting for the spool's ingest lock: the ingester holding that lock may be waiting for the write
lock the request holds, and each would wait for the other until a busy timeout (a page's POST
once took 30 s that way). It waits as before when it holds no write lock."""

from __future__ import annotations

import time

import pytest

from evergreen.config import Settings
from evergreen.db import Database
from evergreen.links import service
from evergreen.links.clicks.ingest import ClickPolicy, ingest_pending, spool_folder
from evergreen.links.clicks.runtime import LinkRuntime
from evergreen.links.clicks.spool import SpoolBusy, SpoolReader
from evergreen.links.drafts import LinkDraft


def test_a_writer_does_not_wait_for_an_ingester_that_has_the_spool(
    settings: Settings, db: Database
) -> None:
    with db.session() as session:
        link_id = service.create_link(
            session, LinkDraft(destination="https://shop.example/x", slug="x")
        ).link.id
    runtime = LinkRuntime(settings, db, "secret", ingest=False)
    runtime.record({"id": "a" * 32, "l": link_id, "t": time.time(), "ua": "Mozilla/5.0 Chrome/130"})
    runtime.commit()
    other = SpoolReader(spool_folder(settings))
    try:
        with other.exclusive():  # another ingester has the spool (and would wait for the lock)
            with pytest.raises(SpoolBusy):
                ingest_pending(db, other, ClickPolicy(), wait=False)
            with db.session() as session:  # a request's writer unit of work
                service.get_link(session, "x")  # its first statement took the write lock
                assert db.holds_writer() is db.single_writer
                started = time.monotonic()
                if db.single_writer:
                    assert runtime.ingest_spooled() == 0  # at once, not after a busy timeout
                assert time.monotonic() - started < 2
        assert not db.holds_writer()
        assert runtime.ingest_spooled() == 1  # the spool free again: the click is stored
    finally:
        runtime.spool.close()
