"""A consistent copy of the embedded database, taken while the server runs.

Copying `evergreen.db` with `cp` while a server writes can give a file that is neither before nor
after a transaction, and misses what is still in the write-ahead log beside it. SQLite's online
backup reads one snapshot (writers go on meanwhile) into a new file; the copy is checked, made a
single file (no log beside it) and readable by its owner only, and only then takes its name.
PostgreSQL has pg_dump for this, which docs/DEPLOY.md shows.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from evergreen.db import Database
from evergreen.errors import InputError

__all__ = ["BackupError", "BackupMade", "backup_sqlite", "pg_dump_command"]


class BackupError(InputError):
    """A backup that cannot be made where or as asked."""


@dataclass(frozen=True)
class BackupMade:
    """A finished backup: where, how many bytes, and the schema revision it is at."""

    path: Path
    size: int
    revision: str | None


def pg_dump_command(url: str) -> str:
    """The command that backs up a PostgreSQL database (its password left out: pg_dump asks,
    or reads ~/.pgpass)."""
    from sqlalchemy.engine import URL, make_url

    given = make_url(url)
    bare = URL.create(
        "postgresql", given.username, None, given.host, given.port, given.database, given.query
    )
    return f"pg_dump --format=custom --file=evergreen.dump {bare.render_as_string()}"


def backup_sqlite(db: Database, target: Path, *, replace: bool = False) -> BackupMade:
    """Copy the SQLite database `db` into the file `target` (refused if it exists, unless
    `replace`), consistently while others write."""
    if db.engine.dialect.name != "sqlite":
        command = pg_dump_command(db.engine.url.render_as_string(hide_password=False))
        raise BackupError("database", f"this is PostgreSQL: back it up with {command}")
    source = Path(db.engine.url.database or "")
    if not source.is_file():
        raise BackupError("database", f"there is no database at {source} yet")
    if target.is_dir():
        raise BackupError("path", f"{target} is a folder: name the file to write")
    if not target.parent.is_dir():
        raise BackupError("path", f"there is no folder {target.parent}")
    if target.exists() and target.samefile(source):
        raise BackupError("path", "that is the database itself: name another file")
    if target.exists() and not replace:
        raise BackupError("path", f"{target} exists: name another file (or replace it)")
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))  # owner only
        revision = _copy(db, partial)
        os.replace(partial, target)
    except OSError as exc:  # a folder not ours, a name too long
        partial.unlink(missing_ok=True)
        raise BackupError("path", f"could not write {target}: {exc.strerror or exc}") from None
    except sqlite3.Error as exc:  # a full disk while copying, a damaged database
        partial.unlink(missing_ok=True)
        raise BackupError("database", f"the backup into {target} failed: {exc}") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return BackupMade(target, target.stat().st_size, revision)


def _copy(db: Database, path: Path) -> str | None:
    """SQLite's backup of `db` into the empty file `path`, checked; the copy's revision."""
    copy = sqlite3.connect(path, isolation_level=None)
    try:
        with db.engine.connect() as connection:
            raw = connection.connection.driver_connection
            if raw is None:  # pragma: no cover - a pooled SQLite connection always has one
                raise BackupError("database", "no connection to copy from")
            raw.backup(copy)  # all pages in one step: one snapshot
        found = copy.execute("PRAGMA quick_check").fetchone()[0]
        if found != "ok":
            raise BackupError("database", f"the copy failed SQLite's check: {found}")
        copy.execute("PRAGMA journal_mode=DELETE")  # one file: no log to carry beside it
        try:
            row = copy.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.OperationalError:  # a database never migrated
            row = None
        return None if row is None else str(row[0])
    finally:
        copy.close()
