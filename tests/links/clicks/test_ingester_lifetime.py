"""The click ingester started by `serve` never outlives it, even when `serve` dies at start-up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from evergreen import migrate


def _ingester(tmp_path: Path, parent_pid: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "EVERGREEN_DATA_DIR": str(tmp_path),
        "EVERGREEN_DATABASE_URL": f"sqlite:///{tmp_path / 'evergreen.db'}",
    }
    command = [sys.executable, "-m", "evergreen.cli", "links", "ingest", "--follow",
               "--parent-pid", str(parent_pid)]  # fmt: skip
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_an_ingester_whose_server_is_already_gone_exits_at_once(tmp_path: Path) -> None:
    # Its parent is this test, not the (long gone) server it was started for.
    with _ingester(tmp_path, parent_pid=os.getpid() + 1_000_000) as child:
        try:
            assert child.wait(timeout=30) == 0
        finally:
            child.kill()
    assert not (tmp_path / "evergreen.db").exists(), "it did work before checking its parent"


def test_an_ingester_of_a_live_server_keeps_running_until_told_to_stop(tmp_path: Path) -> None:
    with _ingester(tmp_path, parent_pid=os.getpid()) as child:
        try:
            deadline = time.monotonic() + 30
            while not (tmp_path / "evergreen.db").exists() and time.monotonic() < deadline:
                assert child.poll() is None
                time.sleep(0.1)
            time.sleep(1.0)
            assert child.poll() is None
            child.send_signal(signal.SIGTERM)
            assert child.wait(timeout=60) == 0
        finally:
            child.kill()


def test_an_ingester_runs_at_normal_priority(tmp_path: Path) -> None:
    """Under saturation a pass that is due must get CPU: no SCHED_IDLE, no raised nice (which an
    unprivileged process could never undo); `links.clicks.follower` paces it instead."""
    url = f"sqlite:///{tmp_path / 'evergreen.db'}"
    head = migrate.head_revision()
    with _ingester(tmp_path, parent_pid=os.getpid()) as child:
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:  # migrated: the ingester is past its set-up
                if (tmp_path / "evergreen.db").exists() and migrate.current_revision(url) == head:
                    break
                assert child.poll() is None
                time.sleep(0.2)
            time.sleep(1.0)  # into the follower's loop
            assert child.poll() is None
            assert os.sched_getscheduler(child.pid) == os.SCHED_OTHER
            assert os.getpriority(os.PRIO_PROCESS, child.pid) == os.getpriority(os.PRIO_PROCESS, 0)
            child.send_signal(signal.SIGTERM)
            assert child.wait(timeout=60) == 0
        finally:
            child.kill()
