"""An ID is never given twice, on SQLite as on PostgreSQL: the newest subscriber erased or the
newest link deleted does not hand its ID to the next one (their old unsubscribe links, late
bounces and spooled clicks would then act on it). Migration 0063 makes SQLite's tables
AUTOINCREMENT, keeping every row, key and index."""

from __future__ import annotations

import importlib
import sqlite3
from pathlib import Path

from evergreen import migrate
from evergreen.audience import service as audience
from evergreen.db import Database, utcnow
from evergreen.links import service as links
from evergreen.links.clicks.ingest import ClickPolicy, ingest_records
from evergreen.links.drafts import LinkDraft
from tests.conftest import TEST_SECRET

_0063 = importlib.import_module("evergreen.migrations.versions.0063_sqlite_ids_never_reused")


def _newest_gone_then_new(db: Database) -> tuple[tuple[int, int], tuple[int, int]]:
    """(erased subscriber's id, the next one's), (deleted link's id, the next one's)."""
    with db.session() as session:
        for i in range(3):
            audience.find_or_add(session, TEST_SECRET, f"p{i}@example.com", audience.Source.API)
        newest = audience.find_or_add(session, TEST_SECRET, "p9@example.com", audience.Source.API)
        erased = newest.id
        audience.erase(session, TEST_SECRET, erased)
    with db.session() as session:
        after = audience.find_or_add(session, TEST_SECRET, "new@example.com", audience.Source.API)
        subscribers = (erased, after.id)
    with db.session() as session:
        links.create_link(session, LinkDraft(destination="https://shop.example/a", slug="a"))
        deleted = links.create_link(
            session, LinkDraft(destination="https://shop.example/b", slug="b")
        ).link.id
        links.delete_link(session, "b")
    with db.session() as session:
        made = links.create_link(session, LinkDraft(destination="https://shop.example/c", slug="c"))
        return subscribers, (deleted, made.link.id)


def test_the_newest_row_deleted_gives_its_id_to_no_one(db: Database) -> None:
    (erased, next_subscriber), (deleted, next_link) = _newest_gone_then_new(db)
    assert next_subscriber > erased
    assert next_link > deleted


def test_the_upgrade_keeps_every_row_key_and_index(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url, "0062")
    db = Database(url)
    try:
        with db.session() as session:
            link = links.create_link(
                session, LinkDraft(destination="https://shop.example/x", slug="x")
            ).link
            click = {"id": "c" * 32, "l": link.id, "t": utcnow().timestamp(), "v": "v1",
                     "ua": "Mozilla/5.0 Chrome/130.0", "q": {"sub1": "post"}}  # fmt: skip
            assert ingest_records(session, [click], ClickPolicy()) == 1
            for i in range(3):
                audience.find_or_add(session, TEST_SECRET, f"o{i}@example.com", audience.Source.API)
    finally:
        db.dispose()
    before = sqlite3.connect(path)
    shape_before, rows_before = _shape(before), _rows(before)
    before.close()
    migrate.upgrade(url, "0064")  # 0063's rebuild (0064 re-keys rows; later ones add columns)
    after = sqlite3.connect(path)
    try:
        assert _shape(after) == shape_before  # columns, keys, foreign keys, indexes
        assert _rows(after) == rows_before
        assert after.execute("PRAGMA foreign_key_check").fetchall() == []
        create = after.execute("SELECT sql FROM sqlite_master WHERE name = 'links'").fetchone()[0]
        assert "id INTEGER NOT NULL CONSTRAINT pk_links PRIMARY KEY AUTOINCREMENT" in create
    finally:
        after.close()
    db = Database(url)
    try:
        (erased, next_subscriber), (deleted, next_link) = _newest_gone_then_new(db)
    finally:
        db.dispose()
    assert next_subscriber > erased
    assert next_link > deleted


def test_every_sqlite_table_with_an_id_never_gives_it_twice(sqlite_template: Path) -> None:
    """A new table must be created with `sqlite_autoincrement=True` (or be append-only, with its
    reason in migration 0063's APPEND_ONLY)."""
    connection = sqlite3.connect(sqlite_template)
    try:
        tables = connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
    finally:
        connection.close()
    with_id = {name: sql for name, sql in tables if "\n\tid INTEGER NOT NULL" in sql}
    assert len(with_id) > 90
    reusing = [
        name
        for name, sql in with_id.items()
        if "AUTOINCREMENT" not in sql and name not in _0063.APPEND_ONLY
    ]
    assert reusing == []


def _shape(connection: sqlite3.Connection) -> dict[str, object]:
    names = [n for (n,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    return {
        name: (
            connection.execute(f"PRAGMA table_info('{name}')").fetchall(),
            sorted(connection.execute(f"PRAGMA foreign_key_list('{name}')").fetchall()),
            sorted(connection.execute(f"PRAGMA index_list('{name}')").fetchall()),
        )
        for name in names
        if not name.startswith("sqlite_")
    }


def _rows(connection: sqlite3.Connection) -> dict[str, list[object]]:
    names = [n for (n,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    return {
        name: sorted(connection.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr)
        for name in names
        if not name.startswith("sqlite_") and name != "alembic_version"
    }
