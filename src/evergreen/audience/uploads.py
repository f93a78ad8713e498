"""Uploaded CSV files kept between the preview and the import, under a random name in the data
folder; files older than a day are removed when the next upload arrives."""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path
from typing import BinaryIO

from evergreen.audience.errors import AudienceInputError

__all__ = ["MAX_UPLOAD_BYTES", "saved_upload", "store_upload"]

MIB = 1024 * 1024
MAX_UPLOAD_BYTES = 256 * MIB
_ID = re.compile(r"^[A-Za-z0-9_-]{32}$")


def _folder(data_dir: Path) -> Path:
    folder = data_dir / "audience-imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def store_upload(data_dir: Path, source: BinaryIO) -> tuple[str, Path]:
    """Copy an upload to disk in blocks (never whole in memory); its id and path."""
    folder = _folder(data_dir)
    for old in folder.glob("*.csv"):
        if old.stat().st_mtime < time.time() - 86400:
            old.unlink(missing_ok=True)
    upload_id = secrets.token_urlsafe(24)
    path = folder / f"{upload_id}.csv"
    size = 0
    with path.open("wb") as out:
        while block := source.read(MIB):
            size += len(block)
            if size > MAX_UPLOAD_BYTES:
                out.close()
                path.unlink(missing_ok=True)
                raise AudienceInputError("file", f"is larger than {MAX_UPLOAD_BYTES // MIB} MB")
            out.write(block)
    if size == 0:
        path.unlink(missing_ok=True)
        raise AudienceInputError("file", "is empty: choose a CSV file with a header line")
    return upload_id, path


def saved_upload(data_dir: Path, upload_id: str) -> Path:
    """The file of an earlier upload."""
    path = _folder(data_dir) / f"{upload_id}.csv"
    if not _ID.match(upload_id) or not path.is_file():
        raise AudienceInputError("import_id", "this upload is gone; upload the file again")
    return path
