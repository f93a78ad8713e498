"""SQLite's write-ahead log is cut back after a large write instead of keeping its size on disk
for good (an import of a big list or journal, a click backfill)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from evergreen import db as db_module
from evergreen.db import WAL_SIZE_LIMIT, Database


def test_every_connection_limits_the_log(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'wal.db'}")
    with db.session(writer=False) as session:
        assert session.execute(text("PRAGMA journal_size_limit")).scalar() == WAL_SIZE_LIMIT
    db.dispose()


def test_the_log_shrinks_back_after_a_write_larger_than_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    limit = 1024 * 1024  # the product's 64 MiB would make this test write 64 MB
    monkeypatch.setattr(db_module, "WAL_SIZE_LIMIT", limit)
    db = Database(f"sqlite:///{tmp_path / 'wal.db'}")
    wal = tmp_path / "wal.db-wal"
    with db.session() as session:
        session.execute(text("CREATE TABLE t (b BLOB)"))
        for _ in range(6):
            session.execute(text("INSERT INTO t VALUES (randomblob(1000000))"))
    assert wal.stat().st_size > 5 * limit  # the large write, whole, in the log
    for _ in range(2):  # its commit checkpointed it: the next write starts the log over
        with db.session() as session:
            session.execute(text("INSERT INTO t VALUES (zeroblob(10))"))
    assert wal.stat().st_size <= limit
    with db.session(writer=False) as session:
        assert session.execute(text("SELECT count(*) FROM t")).scalar() == 8
    db.dispose()
