"""on SQLite, an ID is never given twice (AUTOINCREMENT), as PostgreSQL's sequences never do

Without AUTOINCREMENT, SQLite gives a new row the largest ID + 1, so deleting the newest row
(an erased subscriber, a deleted link, list, form or broadcast) hands its ID to the next one:
the erased person's old unsubscribe and preference links, late bounces and spooled clicks of a
deleted link, an embedded form's ID on another site, an API client's stored ID, all then act on
someone or something else. Each table is rebuilt in SQLite's documented way for a change ALTER
TABLE cannot make (`upgrade`). PostgreSQL: nothing to do.

Left as they are (a row per click, send, activity, heartbeat or attempt; never deleted one by
one, their IDs named nowhere outside): see `APPEND_ONLY`.

Revision ID: 0063
Revises: 0062
Create Date: 2026-12-07 02:30:00
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from alembic import op

revision: str = "0063"
down_revision: str | None = "0062"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY = frozenset({
    "clicks", "click_rollups", "mail_sends", "subscriber_activity", "webinar_attendance",
    "funnel_traffic", "login_failures", "web_sessions", "audience_form_attempts",
})  # fmt: skip
_CREATE = re.compile(r'^CREATE TABLE\s+(?:"[^"]+"|\w+)\s*\(')
_PRIMARY = re.compile(r",\s*CONSTRAINT (\w+) PRIMARY KEY \(id\)")
_ID_COLUMN = re.compile(r"(\(\s*)id INTEGER NOT NULL,")


def autoincrement_sql(create: str, name: str) -> str | None:
    """The table's CREATE statement under `name`, its `id` made AUTOINCREMENT (the constraint
    keeps its name), or None when the table has no such id or has it already."""
    primary = _PRIMARY.search(create)
    if "AUTOINCREMENT" in create or primary is None or not _ID_COLUMN.search(create):
        return None
    without = create[: primary.start()] + create[primary.end() :]
    column = rf"\1id INTEGER NOT NULL CONSTRAINT {primary.group(1)} PRIMARY KEY AUTOINCREMENT,"
    renamed = _CREATE.sub(f'CREATE TABLE "{name}" (', without, count=1)
    return _ID_COLUMN.sub(column, renamed, count=1)


def upgrade() -> None:
    """SQLite's twelve steps (https://sqlite.org/lang_altertable.html#otheralter) per table:
    foreign keys off (possible only between transactions: what came before is committed
    first), create the new table, copy, drop the old, rename the new, indexes again, check
    every foreign key, commit, foreign keys on."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    raw = bind.connection.driver_connection
    assert raw is not None
    was_open = raw.in_transaction
    if was_open:
        raw.execute("COMMIT")
    raw.execute("PRAGMA foreign_keys = OFF")
    raw.execute("BEGIN IMMEDIATE")
    try:
        tables = raw.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table'"
            " AND name NOT LIKE 'sqlite_%' ORDER BY name"
        ).fetchall()
        for name, create in tables:
            new_sql = None if name in APPEND_ONLY else autoincrement_sql(create, f"{name}__0063")
            if new_sql is not None:
                _rebuild(raw, name, new_sql)
        broken = raw.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"foreign keys broken by the rebuild: {broken[:5]}")
    except BaseException:
        raw.execute("ROLLBACK")
        raise
    else:
        raw.execute("COMMIT")
    finally:
        raw.execute("PRAGMA foreign_keys = ON")
        if was_open:
            raw.execute("BEGIN IMMEDIATE")  # the migration's own transaction goes on


def _rebuild(raw: Any, name: str, new_sql: str) -> None:
    indexes = raw.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
        (name,),
    ).fetchall()
    raw.execute(new_sql)
    raw.execute(f'INSERT INTO "{name}__0063" SELECT * FROM "{name}"')  # noqa: S608
    raw.execute(f'DROP TABLE "{name}"')
    raw.execute(f'ALTER TABLE "{name}__0063" RENAME TO "{name}"')
    for (sql,) in indexes:
        raw.execute(sql)


def downgrade() -> None:
    """AUTOINCREMENT stays: the earlier revisions work the same with it."""
