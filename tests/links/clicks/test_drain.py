"""A server that leaves drains its spool within a bound; a lost server's spool is ingested once."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import func, select

from evergreen.db import Database
from evergreen.links.clicks import ingest as ingest_module
from evergreen.links.clicks.follower import drain
from evergreen.links.clicks.ingest import ClickPolicy, ingest_pending
from evergreen.links.clicks.spool import ClickSpool, SpoolReader
from evergreen.links.models import Click, SpoolOffset
from tests.cli_helpers import run_cli
from tests.links.clicks.test_clicks import _link, click

POLICY = ClickPolicy()


def _spool(folder: Path, link_id: int, count: int) -> None:
    """A spool folder as a server leaves it: `count` clicks in closed (finished) segments."""
    spool = ClickSpool(folder)
    for n in range(count):
        spool.append(click(link_id, v=f"v{n % 7}"))
    spool.close()


def _stored(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Click)) or 0


def test_a_drain_past_its_bound_leaves_the_rest_spooled_and_says_so(
    db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    link_id = _link(db)
    folder = tmp_path / "spool"
    _spool(folder, link_id, 50)
    with caplog.at_level(logging.WARNING, logger="evergreen.links.clicks.follower"):
        assert drain(db, SpoolReader(folder), POLICY, timeout=0) == 0
    assert _stored(db) == 0
    assert list(folder.glob("*.clicks")), "nothing may be deleted when the bound is hit"
    assert f"still spooled in {folder}" in caplog.text
    assert f"evergreen links ingest --spool {folder}" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="evergreen.links.clicks.follower"):
        assert drain(db, SpoolReader(folder), POLICY, timeout=30) == 50
    assert _stored(db) == 50
    assert not list(folder.glob("*.clicks"))
    assert "still spooled" not in caplog.text


def test_a_bound_hit_between_batches_keeps_what_was_stored_and_spools_the_rest(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    link_id = _link(db)
    folder = tmp_path / "spool"
    for _ in range(3):  # three segments (one per spool), one batch each
        _spool(folder, link_id, 10)
    reader = SpoolReader(folder)
    looks: list[float | None] = []

    def bound_passes_after_the_first_batch(deadline: float | None) -> bool:
        looks.append(deadline)
        return len(looks) > 1

    monkeypatch.setattr(ingest_module, "_past", bound_passes_after_the_first_batch)
    assert ingest_pending(db, reader, POLICY, batch=10, deadline=1.0) == 10
    monkeypatch.undo()
    assert _stored(db) == 10
    assert len(list(folder.glob("*.clicks"))) == 2  # the first removed, the others kept
    assert ingest_pending(db, reader, POLICY, batch=10) == 20
    assert _stored(db) == 30


def _ingest_cli(database_url: str, tmp_path: Path, *args: str) -> tuple[int, str, str]:
    env = {"EVERGREEN_DATA_DIR": str(tmp_path / "here"), "EVERGREEN_DATABASE_URL": database_url}
    result = run_cli(["links", "ingest", *args], env)
    return result.returncode, result.stdout, result.stderr


def test_a_lost_servers_spool_is_ingested_exactly_once(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    link_id = _link(db)
    lost = tmp_path / "lost-disk" / "data" / "spool"
    _spool(lost, link_id, 40)
    # A segment of this machine's own spool, half ingested: its offset must survive.
    with db.session() as session:
        session.add(SpoolOffset(name="here.1-1-1.clicks", offset=123))
    code, out, err = _ingest_cli(database_url, tmp_path, "--spool", str(lost))
    assert (code, err) == (0, "")
    assert out.strip() == f"Ingested 40 clicks from {lost}."
    assert _stored(db) == 40
    assert not list(lost.glob("*.clicks")), "finished segments are removed once stored"
    code, out, _ = _ingest_cli(database_url, tmp_path, "--spool", str(lost))
    assert code == 0
    assert out.strip() == f"Ingested 0 clicks from {lost}."
    assert _stored(db) == 40
    with db.session() as session:
        assert session.get(SpoolOffset, "here.1-1-1.clicks") is not None


def test_a_spool_copied_back_after_it_was_ingested_stores_nothing_twice(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    """A crash after the clicks were stored but before the segment was removed: replayed."""
    link_id = _link(db)
    lost = tmp_path / "lost" / "spool"
    _spool(lost, link_id, 25)
    copy = {path.name: path.read_bytes() for path in lost.glob("*.clicks")}
    assert _ingest_cli(database_url, tmp_path, "--spool", str(lost))[0] == 0
    for name, data in copy.items():
        (lost / name).write_bytes(data)
    with db.session() as session:  # even with its offsets gone, click IDs absorb the replay
        session.execute(SpoolOffset.__table__.delete())
    code, out, _ = _ingest_cli(database_url, tmp_path, "--spool", str(lost))
    assert code == 0
    assert out.strip() == f"Ingested 0 clicks from {lost}."
    assert _stored(db) == 25


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_missing_spool_folder_or_follow_is_one_clear_line(
    database_url: str, tmp_path: Path
) -> None:
    code, _, err = _ingest_cli(database_url, tmp_path, "--spool", str(tmp_path / "nope"))
    assert code == 2
    assert err.startswith(f"Error: --spool {tmp_path / 'nope'} is not a folder")
    assert not (tmp_path / "nope").exists()
    (tmp_path / "lost" / "spool").mkdir(parents=True)
    code, _, err = _ingest_cli(database_url, tmp_path, "--spool", str(tmp_path / "lost"))
    assert code == 2
    assert err.strip() == (
        f"Error: --spool {tmp_path / 'lost'} is a data folder: give its spool folder, "
        f"{tmp_path / 'lost' / 'spool'}"
    )
    code, _, err = _ingest_cli(database_url, tmp_path, "--spool", str(tmp_path), "--follow")
    assert code == 2
    assert "cannot --follow" in err
