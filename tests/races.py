"""Two units of work forced to interleave: the first is paused after it has read what it will
change, while the second runs to its commit (or until it waits for a lock the first holds).
On PostgreSQL (READ COMMITTED) this is the interleaving that loses an update when the first
writes from what it read; on SQLite a writer holds the write lock from its first statement, so
the second simply waits its turn. Used by the mail, networks, webinars and funnels race tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from evergreen.db import Database

__all__ = ["Outcome", "Work", "race"]

Work = Callable[[Session], object]
Outcome = tuple[object, BaseException | None]  # what the work returned, what it raised


def _waiting_or_done(db: Database, done: threading.Event) -> None:
    """Until the other unit of work has ended or waits for a lock (bounded). SQLite: the paused
    writer holds the write lock from its first statement, so there is nothing to wait for."""
    if db.single_writer:
        return
    deadline = time.monotonic() + 15
    with db.engine.connect() as conn:
        while not done.is_set() and time.monotonic() < deadline:
            waiting = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
            conn.rollback()  # the activity view is a snapshot per transaction
            if waiting:
                return
            time.sleep(0.01)


def race(
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    first: Work,
    second: Work,
    *,
    pause_at: tuple[object, str],
    pause_after: bool = False,
) -> tuple[Outcome, Outcome]:
    """Run `first` until its first call of `pause_at` (a module or class and a name in it;
    with `pause_after`, until that call returns), pause it there while `second` runs in its own
    unit of work, then let `first` go on; each unit of work commits unless it raised. Returns
    both outcomes, first's first."""
    owner, name = pause_at
    real = getattr(owner, name)
    reached, done = threading.Event(), threading.Event()

    def paused(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs) if pause_after else None
        if threading.current_thread().name == "first" and not reached.is_set():
            reached.set()
            _waiting_or_done(db, done)
        return result if pause_after else real(*args, **kwargs)

    monkeypatch.setattr(owner, name, paused)
    outcomes: dict[str, Outcome] = {}

    def run(work: Work, label: str) -> None:
        result: object = None
        error: BaseException | None = None
        try:
            if label == "second":
                assert reached.wait(30), f"the first unit of work never reached {name}"
            with db.session() as session:
                result = work(session)
        except BaseException as exc:  # reported to the test
            error = exc
        finally:
            reached.set()  # a first that failed before its pause lets the second go
            if label == "second":
                done.set()
            outcomes[label] = (result, error)

    threads = [threading.Thread(target=run, args=(w, n), name=n) for w, n in
               ((first, "first"), (second, "second"))]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads), "a unit of work never ended"
    monkeypatch.setattr(owner, name, real)
    return outcomes["first"], outcomes["second"]
