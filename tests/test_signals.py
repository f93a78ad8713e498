"""SIGTERM sets the stop event even when it lands while the main thread holds the event's lock."""

from __future__ import annotations

import subprocess
import sys

_SCRIPT = """
import os, signal, threading, time
from evergreen.signals import set_on_signals

stop = threading.Event()
set_on_signals(stop)
with stop._cond:  # as inside Event.wait: the main thread holds the event's lock
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(0.2)  # the handler runs here, in this very thread
assert stop.wait(5), "the event was never set"
print("stopped")
"""


def test_a_signal_during_a_wait_stops_instead_of_deadlocking() -> None:
    run = subprocess.run(
        [sys.executable, "-c", _SCRIPT], capture_output=True, text=True, timeout=30, check=False
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "stopped"
