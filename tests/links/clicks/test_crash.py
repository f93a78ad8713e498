"""Kill -9 the real server under load: every redirect a client received has its click stored."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import start_server

THREADS = 8
UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36"


def _cli(data_dir: Path, *args: str) -> str:
    env = {**os.environ, "EVERGREEN_DATA_DIR": str(data_dir)}
    env.pop("EVERGREEN_DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "evergreen.cli", "links", *args],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


def _load(port: int, deadline: float, received: list[int], index: int) -> None:
    """Keep-alive GETs until the deadline or until the server disappears."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        while time.monotonic() < deadline:
            connection.request("GET", f"/go/crash?sub1=t{index}", headers={"User-Agent": UA})
            response = connection.getresponse()
            response.read()
            if response.status == 302:
                received[index] += 1
    except (OSError, http.client.HTTPException):
        return
    finally:
        connection.close()


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def _gone(pid: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize(
    ("stop_signal", "workers"),
    # Each signal once, and each way of serving once: the harsher kill with several workers,
    # the graceful stop with one (all four pairs cost ~50 s of a suite kept under 10 minutes).
    [(signal.SIGKILL, 2), (signal.SIGTERM, 1)],
)
def test_no_answered_click_is_lost_when_the_server_stops(
    tmp_path: Path, stop_signal: signal.Signals, workers: int
) -> None:
    data_dir = tmp_path / "data"
    assert (
        _cli(data_dir, "create", "https://shop.example/", "--slug", "crash")
        .strip()
        .endswith("/go/crash")
    )
    server = start_server(data_dir, env={"EVERGREEN_WEB_WORKERS": str(workers)})
    children = _children(server.process.pid)
    try:
        port = int(server.url.rsplit(":", 1)[1])
        received = [0] * THREADS
        deadline = time.monotonic() + 6
        threads = [
            threading.Thread(target=_load, args=(port, deadline, received, i))
            for i in range(THREADS)
        ]
        for thread in threads:
            thread.start()
        time.sleep(2.0)
        os.kill(server.process.pid, stop_signal)
        for thread in threads:
            thread.join(15)
        server.process.wait(30)
        # Web workers and the ingester stop by themselves, even when the parent was killed.
        assert all(_gone(child, 30) for child in children), children
    finally:
        server.close()
    assert len(children) == (workers + 1 if workers > 1 else 1)  # the web workers, the ingester
    answered = sum(received)
    assert answered > 100, "the load generator barely ran"
    stats = json.loads(_cli(data_dir, "stats", "crash", "--json"))
    # Clicks stored before a response was sent can exceed what clients read, by at most one
    # in-flight request per connection; fewer stored than answered would be a lost click.
    assert answered <= stats["total_clicks"] <= answered + THREADS
    if stop_signal == signal.SIGTERM:
        assert stats["total_clicks"] == answered
    assert stats["clicks"] + stats["non_human_clicks"] == stats["total_clicks"]
