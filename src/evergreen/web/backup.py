"""The owner's backup page: a consistent copy of the embedded database to download while the
server runs, or on PostgreSQL the pg_dump command that does it."""

from __future__ import annotations

import secrets
import time
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask

from evergreen.backup import backup_sqlite, pg_dump_command
from evergreen.db import Database, utcnow
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import OwnerUser, SettingsDep
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/settings/backup")
def backup_page(request: Request, settings: SettingsDep, user: OwnerUser) -> Response:
    """Owner-only: download a backup (SQLite), or the command that makes one (PostgreSQL)."""
    db: Database = request.app.state.db
    sqlite = db.engine.dialect.name == "sqlite"
    context = {
        "title": "Backup",
        "sqlite": sqlite,
        "database": db.engine.url.database if sqlite else None,
        "command": None if sqlite else pg_dump_command(settings.sqlalchemy_url),
    }
    return render(request, "backup.html", context)


@router.post("/settings/backup", response_model=None)
def download_backup(
    request: Request, settings: SettingsDep, user: OwnerUser, _csrf: CsrfProtected
) -> Response:
    """Owner-only: the database copied (one snapshot, writers going on) into a file beside it,
    sent, then removed."""
    db: Database = request.app.state.db
    if db.engine.dialect.name != "sqlite":
        return backup_page(request, settings, user)
    folder = Path(settings.data_dir)
    _forget_stale(folder)
    made = backup_sqlite(db, folder / f"{_COPY_PREFIX}{secrets.token_hex(8)}.db")
    return FileResponse(
        made.path,
        media_type="application/vnd.sqlite3",
        filename=f"evergreen-{utcnow():%Y-%m-%d}.db",
        background=BackgroundTask(made.path.unlink, missing_ok=True),
    )


_COPY_PREFIX = ".backup-"  # the copies made for downloads, in the data folder
_STALE_S = 3600  # a download still being sent is younger than this


def _forget_stale(folder: Path) -> None:
    """Remove copies left by downloads whose client went away before the end (the removal after
    sending never ran): a copy of everything should not lie around."""
    now = time.time()
    for stale in folder.glob(f"{_COPY_PREFIX}*.db"):
        try:
            if now - stale.stat().st_mtime > _STALE_S:
                stale.unlink()
        except FileNotFoundError:  # removed meanwhile by the download that made it
            continue
