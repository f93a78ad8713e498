"""Backups of the embedded database (`evergreen db backup`, the settings' Backup page): one
consistent snapshot taken while others write, checked, a single file readable by its owner only;
PostgreSQL is pointed to pg_dump."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from evergreen import backup as backup_module
from evergreen import migrate
from evergreen.backup import BackupError, backup_sqlite, pg_dump_command
from evergreen.db import Database
from tests.cli_helpers import run_cli
from tests.http_helpers import csrf_from, sign_in


@pytest.fixture
def sqlite_db(tmp_path: Path, sqlite_template: Path) -> Database:
    path = tmp_path / "evergreen.db"
    shutil.copyfile(sqlite_template, path)
    db = Database(f"sqlite:///{path}")
    with db.session() as session:
        session.execute(text("CREATE TABLE pairs (pair INTEGER, half INTEGER)"))
    return db


def test_a_backup_taken_while_others_write_holds_whole_transactions_only(
    sqlite_db: Database, tmp_path: Path
) -> None:
    stop, written = threading.Event(), [0]

    def write() -> None:  # each transaction adds both halves of a pair, never one alone
        while not stop.is_set():
            with sqlite_db.session() as session:
                for half in (1, 2):
                    session.execute(
                        text("INSERT INTO pairs VALUES (:pair, :half)"),
                        {"pair": written[0], "half": half},
                    )
            written[0] += 1

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while written[0] < 50:
            threading.Event().wait(0.01)
        made = backup_sqlite(sqlite_db, tmp_path / "copy.db")
    finally:
        stop.set()
        writer.join(10)
    assert made.revision == migrate.head_revision()
    assert made.size == (tmp_path / "copy.db").stat().st_size > 0
    assert stat.S_IMODE((tmp_path / "copy.db").stat().st_mode) == 0o600  # it holds secrets
    with closing(sqlite3.connect(tmp_path / "copy.db")) as copy:
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        pairs = copy.execute("SELECT pair, count(*) FROM pairs GROUP BY pair").fetchall()
    assert len(pairs) >= 50
    assert {count for _pair, count in pairs} == {2}  # no transaction cut in half
    assert not list(tmp_path.glob(".copy.db.*"))
    sqlite_db.dispose()


def test_a_backup_refuses_what_would_lose_or_misplace_a_file(
    sqlite_db: Database, tmp_path: Path
) -> None:
    existing = tmp_path / "old.db"
    existing.write_bytes(b"last night's backup")
    source = Path(sqlite_db.engine.url.database or "")
    for target, field, words in (
        (existing, "path", "exists"),
        (tmp_path, "path", "is a folder"),
        (tmp_path / "missing" / "copy.db", "path", "no folder"),
        (source, "path", "the database itself"),
    ):
        with pytest.raises(BackupError) as refused:
            backup_sqlite(sqlite_db, target)
        assert (refused.value.field, words in str(refused.value)) == (field, True), target
    assert existing.read_bytes() == b"last night's backup"
    assert backup_sqlite(sqlite_db, existing, replace=True).revision == migrate.head_revision()
    sqlite_db.dispose()
    gone = Database(f"sqlite:///{tmp_path / 'nothing-here.db'}")
    with pytest.raises(BackupError, match="no database"):
        backup_sqlite(gone, tmp_path / "copy.db")
    assert not (tmp_path / "nothing-here.db").exists()  # not created by looking
    gone.dispose()


def test_a_copy_that_fails_leaves_neither_the_file_nor_its_partial(
    sqlite_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_db: Database, path: Path) -> str:
        path.write_bytes(b"half a copy")
        raise OSError(28, "No space left on device")

    def full(_db: Database, path: Path) -> str:
        path.write_bytes(b"half a copy")
        raise sqlite3.OperationalError("database or disk is full")

    for failing, words in ((broken, "could not write"), (full, "database or disk is full")):
        monkeypatch.setattr(backup_module, "_copy", failing)
        with pytest.raises(BackupError, match=words):
            backup_sqlite(sqlite_db, tmp_path / "copy.db")
        assert not (tmp_path / "copy.db").exists()
        assert not list(tmp_path.glob(".copy.db.*"))
    sqlite_db.dispose()


@pytest.mark.postgres
def test_postgresql_is_pointed_to_pg_dump_without_its_password(postgres_database: str) -> None:
    db = Database(postgres_database)
    with pytest.raises(BackupError, match="pg_dump"):
        backup_sqlite(db, Path("copy.db"))
    db.dispose()
    with_password = postgres_database.replace("postgres@", "postgres:s3cret@", 1)
    command = pg_dump_command(with_password)
    assert command.startswith("pg_dump --format=custom --file=evergreen.dump postgresql://")
    assert "s3cret" not in command
    assert "***" not in command
    done = run_cli(["db", "backup", "copy.db"], {"EVERGREEN_DATABASE_URL": with_password})
    assert done.returncode == 2
    assert "pg_dump --format=custom" in done.stderr
    assert "s3cret" not in done.stderr
    assert "Traceback" not in done.stderr


def test_evergreen_db_backup_writes_the_file_and_says_how_to_restore(
    sqlite_db: Database, tmp_path: Path
) -> None:
    env = {
        "EVERGREEN_DATABASE_URL": str(sqlite_db.engine.url),
        "EVERGREEN_DATA_DIR": str(tmp_path),
    }
    target = tmp_path / "nightly.db"
    done = run_cli(["db", "backup", str(target)], env)
    assert done.returncode == 0, done.stderr
    assert f"Backed up to {target}" in done.stdout
    assert f"revision {migrate.head_revision()}" in done.stdout
    assert "To restore: stop the server" in done.stdout
    with closing(sqlite3.connect(target)) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    again = run_cli(["db", "backup", str(target)], env)
    assert again.returncode == 2
    assert "Error: path:" in again.stderr
    assert "exists" in again.stderr
    assert "Traceback" not in again.stderr
    assert run_cli(["db", "backup", str(target), "--replace"], env).returncode == 0
    too_long = run_cli(["db", "backup", str(tmp_path / ("x" * 300))], env)
    assert too_long.returncode == 2
    assert "File name too long" in too_long.stderr
    assert "Traceback" not in too_long.stderr
    sqlite_db.dispose()


def test_only_the_owner_downloads_a_backup(
    client: TestClient, db: Database, people: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    for role in ("staff", "partner"):
        client.cookies.clear()
        sign_in(client, people[role])
        page = client.get("/settings/backup", follow_redirects=False)
        assert page.status_code in (303, 403), (role, page.status_code)
        form = client.get("/account/password")  # a page of theirs with a form: a valid token
        assert form.status_code == 200, (role, form.status_code)
        token = csrf_from(form.text)
        sent = client.post("/settings/backup", data={"csrf_token": token}, follow_redirects=False)
        assert sent.status_code in (303, 403), (role, sent.status_code)
        assert not sent.content.startswith(b"SQLite format 3")
    client.cookies.clear()
    sign_in(client, people["owner"])
    page = client.get("/settings/backup")
    assert page.status_code == 200
    if database_url.startswith("postgresql"):
        assert 'id="pg-dump"' in page.text
        assert "Download a backup" not in page.text
        return
    folder = tmp_path / "data"
    folder.mkdir(exist_ok=True)
    left, sending = folder / ".backup-left.db", folder / ".backup-sending.db"
    for copy in (left, sending):
        copy.write_bytes(b"a copy of everything")
    os.utime(left, (time.time() - 7200, time.time() - 7200))  # its client went away long ago
    token = csrf_from(page.text)
    answer = client.post("/settings/backup", data={"csrf_token": token})
    assert answer.status_code == 200
    assert answer.content.startswith(b"SQLite format 3")
    assert "attachment" in answer.headers["content-disposition"]
    assert client.post("/settings/backup", data={}).status_code == 403  # no CSRF token
    assert not left.exists()
    assert sending.exists()  # a download still under way keeps its copy
