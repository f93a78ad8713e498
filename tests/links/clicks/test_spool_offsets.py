"""Servers sharing one database keep their spool offsets apart: each ingester forgets only the
offsets of its own folder's segments, and no two folders' segments share a name."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import func, select

from evergreen.db import Database
from evergreen.links.clicks.ingest import ClickPolicy, ingest_pending
from evergreen.links.clicks.spool import ClickSpool, SpoolReader, folder_identity
from evergreen.links.models import Click, SpoolOffset
from tests.links.clicks.test_clicks import _link, click

POLICY = ClickPolicy()


def _offsets(db: Database) -> dict[str, int]:
    with db.session() as session:
        return dict(session.execute(select(SpoolOffset.name, SpoolOffset.offset)).all())


def _stored(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Click)) or 0


def test_an_ingester_keeps_the_offsets_of_another_servers_segments(
    db: Database, tmp_path: Path
) -> None:
    link_id = _link(db)
    first, second = tmp_path / "a" / "spool", tmp_path / "b" / "spool"
    # The second server's segment is still being written: its offset must outlive the first
    # server's passes, or the second would read the segment again from its start.
    writing = ClickSpool(second)
    for _ in range(5):
        writing.append(click(link_id))
    try:
        assert ingest_pending(db, SpoolReader(second), POLICY) == 5
        (theirs,) = _offsets(db).items()
        # A segment of the first server's that is gone (ingested, removed) is forgotten.
        gone = f"{folder_identity(first)}.host.1-1-1.clicks"
        with db.session() as session:
            session.add(SpoolOffset(name=gone, offset=99))
        done = ClickSpool(first)
        done.append(click(link_id))
        done.close()
        assert ingest_pending(db, SpoolReader(first), POLICY) == 1
        after = _offsets(db)
        assert gone not in after
        assert after[theirs[0]] == theirs[1]
        writing.append(click(link_id))
        assert ingest_pending(db, SpoolReader(second), POLICY) == 1
        assert _offsets(db)[theirs[0]] > theirs[1]
    finally:
        writing.close()
    assert ingest_pending(db, SpoolReader(second), POLICY) == 0
    assert _stored(db) == 7
    assert _offsets(db) == {}  # every finished segment removed and its offset forgotten


def test_a_lost_servers_folder_ingested_elsewhere_keeps_this_servers_offsets(
    db: Database, tmp_path: Path
) -> None:
    link_id = _link(db)
    here, lost = tmp_path / "here" / "spool", tmp_path / "lost" / "spool"
    writing = ClickSpool(here)
    writing.append(click(link_id))
    try:
        assert ingest_pending(db, SpoolReader(here), POLICY) == 1
        kept = _offsets(db)
        old = ClickSpool(lost)
        for _ in range(3):
            old.append(click(link_id))
        old.close()
        assert ingest_pending(db, SpoolReader(lost), POLICY) == 3
        assert _offsets(db).items() >= kept.items()
    finally:
        writing.close()


def test_two_folders_never_name_a_segment_alike(tmp_path: Path) -> None:
    """Same host, same process, same moment: the folder's identity still tells them apart."""
    spools = [ClickSpool(tmp_path / name) for name in ("a", "b")]
    try:
        for spool in spools:
            spool.append({"id": "1", "l": 1, "t": 0.0})
    finally:
        for spool in spools:
            spool.close()
    names = [{path.name for path in (tmp_path / n).glob("*.clicks")} for n in ("a", "b")]
    assert names[0].isdisjoint(names[1])
    for folder, found in zip(("a", "b"), names, strict=True):
        assert all(name.startswith(folder_identity(tmp_path / folder) + ".") for name in found)
    assert folder_identity(tmp_path / "a") != folder_identity(tmp_path / "b")


def test_processes_starting_at_once_agree_on_the_folders_identity(tmp_path: Path) -> None:
    found: list[str] = []
    threads = [
        threading.Thread(target=lambda: found.append(folder_identity(tmp_path))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(found)) == 1
    assert (tmp_path / ".ingester-id").read_text().strip() == found[0]
