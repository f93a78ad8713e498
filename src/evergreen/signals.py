"""Stopping on SIGINT/SIGTERM without the deadlock of setting an Event inside a signal handler."""

from __future__ import annotations

import signal
import threading
from types import FrameType

__all__ = ["set_on_signals"]


def set_on_signals(
    event: threading.Event, signals: tuple[signal.Signals, ...] = (signal.SIGINT, signal.SIGTERM)
) -> None:
    """Set `event` when one of `signals` arrives.

    The handler hands the set to a new thread: a handler runs in the main thread between two
    bytecodes, and when that moment falls inside `event.wait()` while it holds the event's
    lock, `event.set()` in the handler would wait for that lock forever.
    """

    def handler(_signum: int, _frame: FrameType | None) -> None:
        threading.Thread(target=event.set, name="stop-signal", daemon=True).start()

    for each in signals:
        signal.signal(each, handler)
