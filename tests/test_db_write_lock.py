"""SQLite's write lock: a writer waits for it in short naps, for the bound it is given, and
statements inside a transaction keep the configured busy timeout."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from evergreen.db import BEGIN_ATTEMPTS, Database, is_busy


def _database(tmp_path: Path, lock_timeout_s: float = 10.0) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'lock.db'}", lock_timeout_s=lock_timeout_s)
    with db.session() as session:
        session.execute(text("CREATE TABLE IF NOT EXISTS t (v INTEGER)"))
    return db


def _hold_lock(path: Path, seconds: float, taken: threading.Event) -> threading.Thread:
    """Another connection holds the write lock for `seconds`, then commits a row."""

    def hold() -> None:
        connection = sqlite3.connect(path, isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("INSERT INTO t (v) VALUES (1)")
        taken.set()
        time.sleep(seconds)
        connection.execute("COMMIT")
        connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    return thread


def test_a_writer_waits_for_the_lock_and_begins_once_it_is_free(tmp_path: Path) -> None:
    db = _database(tmp_path)
    taken = threading.Event()
    holder = _hold_lock(tmp_path / "lock.db", 0.3, taken)
    assert taken.wait(5)
    with db.session() as session:
        asked = time.monotonic()
        session.execute(text("INSERT INTO t (v) VALUES (2)"))  # begins, then inserts
        waited = time.monotonic() - asked
    holder.join()
    assert waited >= 0.2  # it did wait for the holder, rather than failing or skipping it
    with db.session(writer=False) as session:
        assert sorted(session.scalars(text("SELECT v FROM t"))) == [1, 2]
    db.dispose()


def test_a_writer_gives_up_after_its_bound_with_a_busy_error(tmp_path: Path) -> None:
    db = _database(tmp_path, lock_timeout_s=0.1)
    taken = threading.Event()
    holder = _hold_lock(tmp_path / "lock.db", 2.0, taken)
    assert taken.wait(5)
    asked = time.monotonic()
    with pytest.raises(OperationalError) as caught, db.session() as session:
        session.execute(text("INSERT INTO t (v) VALUES (2)"))
    waited = time.monotonic() - asked
    holder.join()
    assert is_busy(caught.value)
    assert waited >= BEGIN_ATTEMPTS * 0.1 * 0.9  # the whole bound, not one try
    assert waited < 1.9  # and not until the holder let go
    db.dispose()


def test_statements_in_a_transaction_keep_the_configured_busy_timeout(tmp_path: Path) -> None:
    db = _database(tmp_path, lock_timeout_s=2.5)
    with db.session() as session:
        assert session.execute(text("PRAGMA busy_timeout")).scalar() == 2500
    with db.session(writer=False) as session:
        assert session.execute(text("PRAGMA busy_timeout")).scalar() == 2500
    db.dispose()
