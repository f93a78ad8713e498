"""SIGTERM to `evergreen serve` under load (a deploy, a scale-in): it stops taking requests,
drains its spool into the database and exits within its bound; every answered click is stored."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import start_server
from tests.links.clicks.test_crash import THREADS, _children, _cli, _gone, _load

DRAIN_S = 20


def _stored_now(data_dir: Path) -> int:
    """Clicks in the database at this moment (read-only, beside the running server)."""
    connection = sqlite3.connect(f"file:{data_dir / 'evergreen.db'}?mode=ro", uri=True)
    try:
        return int(connection.execute("SELECT count(*) FROM clicks").fetchone()[0])
    finally:
        connection.close()


# Two web workers: the path a production server takes (test_crash stops a single process).
@pytest.mark.parametrize("workers", [2])
def test_a_stopped_server_drains_every_answered_click_within_its_bound(
    tmp_path: Path, workers: int
) -> None:
    data_dir = tmp_path / "data"
    _cli(data_dir, "create", "https://shop.example/", "--slug", "crash")
    # The ingester holds back for as long as it may under load: clicks pile up in the spool,
    # and the drain at the stop is what brings them in.
    env = {
        "EVERGREEN_WEB_WORKERS": str(workers),
        "EVERGREEN_CLICK_INGEST_DELAY_S": "300",
        "EVERGREEN_DRAIN_TIMEOUT_S": str(DRAIN_S),
    }
    server = start_server(data_dir, env=env)
    children = _children(server.process.pid)
    try:
        port = int(server.url.rsplit(":", 1)[1])
        received = [0] * THREADS
        deadline = time.monotonic() + 30
        threads = [
            threading.Thread(target=_load, args=(port, deadline, received, i))
            for i in range(THREADS)
        ]
        for thread in threads:
            thread.start()
        time.sleep(3.0)
        stored_before = _stored_now(data_dir)
        answered_before = sum(received)
        stopped_at = time.monotonic()
        os.kill(server.process.pid, signal.SIGTERM)
        server.process.wait(2 * DRAIN_S + 20)
        took = time.monotonic() - stopped_at
        for thread in threads:
            thread.join(15)  # the load stops as the server refuses new connections
        assert all(_gone(child, 5) for child in children), children
    finally:
        server.close()
    assert server.process.returncode == 0
    assert took < 2 * DRAIN_S + 20
    assert "Evergreen stopped." in "".join(server.lines)
    answered = sum(received)
    assert answered_before > 100, "the load generator barely ran"
    # Spooled clicks can lead the answers clients read by one per connection.
    assert stored_before + THREADS < answered_before, "no backlog: the drain had nothing to do"
    # In the database as the server left it (`links stats` would ingest a leftover spool first).
    assert _stored_now(data_dir) == answered
    stats = json.loads(_cli(data_dir, "stats", "crash", "--json"))
    assert stats["total_clicks"] == answered
    assert not [p for p in (data_dir / "spool").glob("*.clicks") if p.stat().st_size]
