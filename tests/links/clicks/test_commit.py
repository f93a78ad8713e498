"""A web process's clicks are spooled at `commit`, before their redirects are written; what the
disk refuses waits in memory and is spooled later, never dropped."""

from __future__ import annotations

import os

from evergreen.config import Settings
from evergreen.db import Database
from evergreen.links.clicks.ingest import spool_folder
from evergreen.links.clicks.runtime import LinkRuntime
from tests.links.clicks.test_spool import _read_all


def _click(number: int) -> dict[str, object]:
    return {"id": f"{number:032x}", "l": 1, "t": 1_780_000_000.0 + number, "ua": "UA"}


def test_recorded_clicks_are_spooled_together_at_commit(settings: Settings, db: Database) -> None:
    runtime = LinkRuntime(settings, db, "secret", ingest=False)
    for number in range(3):
        runtime.record(_click(number))
    assert not list(spool_folder(settings).glob("*.clicks"))  # nothing written before commit
    runtime.commit()
    runtime.commit()  # nothing new: writes nothing
    runtime.spool.close()
    assert [r["id"] for r in _read_all(spool_folder(settings))] == [f"{n:032x}" for n in range(3)]


def test_clicks_the_disk_refuses_wait_in_memory_and_are_spooled_later(
    settings: Settings, db: Database
) -> None:
    runtime = LinkRuntime(settings, db, "secret", ingest=False)
    refusing = os.open(os.devnull, os.O_RDONLY)  # a write to it fails, as a full disk's would
    try:
        runtime.spool._fd = refusing  # (the segment the next write goes to)
        runtime.record(_click(1))
        runtime.record(_click(2))
        runtime.commit()
        assert [c["id"] for c in runtime.unspooled] == [f"{1:032x}", f"{2:032x}"]
    finally:
        runtime.spool._fd = None  # (a fresh segment from here on)
        os.close(refusing)
    runtime._respool()  # (what the background loop does every half second)
    runtime.spool.close()
    assert not runtime.unspooled
    assert [r["id"] for r in _read_all(spool_folder(settings))] == [f"{1:032x}", f"{2:032x}"]
