"""A webinar's uploaded recording replaced, swapped for a URL or deleted with the webinar, on
SQLite and PostgreSQL: the old file leaves the data folder only once the unit of work commits,
and a new file stored by a unit of work (or a savepoint) that rolls back leaves with it, so the
folder always holds what the row names.

Before, the old file was deleted as the replacement was written: a rollback after it (a later
step refused, a failed commit) kept the row naming a file that was gone, and the room said "the
recording cannot be found on the server"; a replacement of the same type even overwrote it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from evergreen.db import Database
from evergreen.webinars import content, service
from evergreen.webinars.models import Webinar
from tests.races import race

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(range(256))
WEBM = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm" + bytes(200)
V0, V1, V2 = MP4 + b"v0", MP4 + b"v1", WEBM + b"v2"
DRAFT = service.WebinarDraft(
    name="demo", duration_minutes=10, schedule="jit:15", timezone="viewer", presenter="Ana"
)


class _Refused(Exception):
    """A later step of the same unit of work failing, so it rolls back."""


def _then_refused(session: Session, work: Callable[[Session], object]) -> None:
    """`work`, then a later step of its unit of work (or savepoint) refused."""
    work(session)
    raise _Refused


def _upload(data_dir: Path, webinar_id: int, video: bytes) -> Callable[[Session], object]:
    return lambda session: content.store_video(
        session, data_dir, webinar_id, [video[:7], video[7:]]
    )


def _to_url(data_dir: Path, webinar_id: int) -> Callable[[Session], object]:
    return lambda session: content.set_video_url(
        session, data_dir, webinar_id, "https://cdn.example/demo.mp4"
    )


def _webinar(db: Database, data_dir: Path) -> int:
    """A webinar whose recording V0 is uploaded and committed."""
    with db.session() as session:
        webinar_id = service.add_webinar(session, DRAFT, NOW).id
        _upload(data_dir, webinar_id, V0)(session)
        return webinar_id


def _recording(db: Database, data_dir: Path, webinar_id: int) -> tuple[bytes | None, str | None]:
    """What the row's recording file holds (None: it names none), and its URL; a file the row
    names but the folder lacks fails here."""
    with db.session(writer=False) as session:
        row = session.get_one(Webinar, webinar_id)
        path = content.video_path(data_dir, row)
        assert (path is None) == (row.video_file is None), row.video_file  # named, yet gone
        return (None if path is None else path.read_bytes()), row.video_url


def _on_disk(data_dir: Path, webinar_id: int) -> list[bytes]:
    folder = data_dir / "webinars" / str(webinar_id)
    return sorted(p.read_bytes() for p in folder.iterdir()) if folder.is_dir() else []


def test_a_replacement_rolled_back_keeps_the_old_file_and_the_row_naming_it(
    db: Database, tmp_path: Path
) -> None:
    webinar_id = _webinar(db, tmp_path)
    for video in (V1, V2):  # the same type (once the same name), and another type
        with pytest.raises(_Refused), db.session() as session:
            _then_refused(session, _upload(tmp_path, webinar_id, video))
        assert _recording(db, tmp_path, webinar_id) == (V0, None)
        assert _on_disk(tmp_path, webinar_id) == [V0]  # the new file went with the rollback


def test_a_replacement_committed_removes_the_old_file(db: Database, tmp_path: Path) -> None:
    webinar_id = _webinar(db, tmp_path)
    with db.session() as session:
        _upload(tmp_path, webinar_id, V1)(session)
        assert _on_disk(tmp_path, webinar_id) == [V0, V1]  # not committed yet
        _upload(tmp_path, webinar_id, V2)(session)
    assert _recording(db, tmp_path, webinar_id) == (V2, None)
    assert _on_disk(tmp_path, webinar_id) == [V2]


def test_a_first_upload_rolled_back_leaves_no_file(db: Database, tmp_path: Path) -> None:
    with db.session() as session:
        webinar_id = service.add_webinar(session, DRAFT, NOW).id
    with pytest.raises(_Refused), db.session() as session:
        _then_refused(session, _upload(tmp_path, webinar_id, V1))
    assert _recording(db, tmp_path, webinar_id) == (None, None)
    assert _on_disk(tmp_path, webinar_id) == []


def test_a_replacement_in_a_savepoint_rolled_back_keeps_the_old_file(
    db: Database, tmp_path: Path
) -> None:
    webinar_id = _webinar(db, tmp_path)
    with db.session() as session:
        with pytest.raises(_Refused), session.begin_nested():
            _then_refused(session, _upload(tmp_path, webinar_id, V1))
        assert _on_disk(tmp_path, webinar_id) == [V0]
    assert _recording(db, tmp_path, webinar_id) == (V0, None)
    assert _on_disk(tmp_path, webinar_id) == [V0]


def test_a_url_instead_removes_the_file_only_when_committed(db: Database, tmp_path: Path) -> None:
    webinar_id = _webinar(db, tmp_path)
    with pytest.raises(_Refused), db.session() as session:
        _then_refused(session, _to_url(tmp_path, webinar_id))
    assert _recording(db, tmp_path, webinar_id) == (V0, None)
    with db.session() as session:
        _to_url(tmp_path, webinar_id)(session)
        assert _on_disk(tmp_path, webinar_id) == [V0]  # not committed yet
    assert _recording(db, tmp_path, webinar_id) == (None, "https://cdn.example/demo.mp4")
    assert _on_disk(tmp_path, webinar_id) == []


def _delete(data_dir: Path, webinar_id: int) -> Callable[[Session], object]:
    """What the API's delete does."""

    def work(session: Session) -> None:
        service.delete_webinar(session, webinar_id)
        content.forget_recordings(session, data_dir, webinar_id)

    return work


def test_a_deleted_webinars_recordings_leave_only_when_the_deletion_commits(
    db: Database, tmp_path: Path
) -> None:
    webinar_id = _webinar(db, tmp_path)
    with pytest.raises(_Refused), db.session() as session:
        _then_refused(session, _delete(tmp_path, webinar_id))
    assert _recording(db, tmp_path, webinar_id) == (V0, None)  # the row and its file stay
    with db.session() as session:
        _delete(tmp_path, webinar_id)(session)
        assert _on_disk(tmp_path, webinar_id) == [V0]  # not committed yet
    assert not (tmp_path / "webinars" / str(webinar_id)).exists()  # the folder went with it


def test_two_uploads_at_once_leave_only_the_later_file(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first is paused as it records its file; the second, streamed meanwhile, replaces
    the first's (before, it replaced the file it had read, and the first's stayed behind)."""
    webinar_id = _webinar(db, tmp_path)
    (_, first_error), (_, second_error) = race(
        db, monkeypatch, _upload(tmp_path, webinar_id, V1), _upload(tmp_path, webinar_id, V2),
        pause_at=(content, "_recording"),
    )  # fmt: skip
    assert (first_error, second_error) == (None, None)
    stored, _url = _recording(db, tmp_path, webinar_id)
    assert stored in (V1, V2)
    assert _on_disk(tmp_path, webinar_id) == [stored]
