"""SQLite's write lock shared by several processes: how long a writer waits to begin.

    .venv/bin/python benchmarks/write_lock.py [--processes 2] [--transactions 1000] [--rounds 3]

Each process runs short write transactions (an INSERT, then ~0.5 ms holding the lock, as a
sender's claim or record does) with ~1 ms of other work between them, on one SQLite file.
Evergreen's units of work (`Database.session`: BEGIN IMMEDIATE, waiting in naps of at most a
millisecond) against the reference measured in the same run: the same transactions on plain
`sqlite3` connections with `PRAGMA busy_timeout`, i.e. SQLite's own busy handler (sleeps of 1,
2, 5, 10 … 100 ms between tries). Rounds alternate who goes first. Prints per round the wall time
of the slowest process and the time all processes spent waiting to begin. Never asserts on time.
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import sqlite3
import statistics
import tempfile
import time
from multiprocessing.queues import Queue
from pathlib import Path

from sqlalchemy import text

from evergreen.db import Database

HOLD_S = 0.0005  # inside the transaction, the lock held
BETWEEN_S = 0.001  # outside it


def _spin(seconds: float) -> None:
    until = time.perf_counter() + seconds
    while time.perf_counter() < until:
        pass


def _evergreen(path: Path, count: int, out: Queue) -> None:
    db = Database(f"sqlite:///{path}")
    waited, started = 0.0, time.perf_counter()
    for i in range(count):
        asked = time.perf_counter()
        with db.session() as session:
            session.execute(text("INSERT INTO t (v) VALUES (:v)"), {"v": i})
            waited += time.perf_counter() - asked
            _spin(HOLD_S)
        _spin(BETWEEN_S)
    db.dispose()
    out.put((time.perf_counter() - started, waited))


def _reference(path: Path, count: int, out: Queue) -> None:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA busy_timeout=30000")
    waited, started = 0.0, time.perf_counter()
    for i in range(count):
        asked = time.perf_counter()
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("INSERT INTO t (v) VALUES (?)", (i,))
        waited += time.perf_counter() - asked
        _spin(HOLD_S)
        connection.execute("COMMIT")
        _spin(BETWEEN_S)
    connection.close()
    out.put((time.perf_counter() - started, waited))


def _run(target: object, folder: Path, processes: int, count: int) -> tuple[float, float]:
    """(slowest process's wall, all processes' wait to begin) for one target, on a fresh file."""
    path = folder / f"lock-{time.time_ns()}.db"
    Database(f"sqlite:///{path}").dispose()  # WAL and the pragmas, as the app sets them
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)")
    context = multiprocessing.get_context("spawn")
    out: Queue = context.Queue()
    workers = [
        context.Process(target=target, args=(path, count, out))  # type: ignore[arg-type]
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    results = [out.get() for _ in workers]
    for worker in workers:
        worker.join()
    return max(r[0] for r in results), sum(r[1] for r in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--transactions", type=int, default=1000, help="per process")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="evergreen-lock-"))
    ideal = args.transactions * (HOLD_S + BETWEEN_S)
    print(
        f"{args.processes} processes x {args.transactions} transactions "
        f"(lock held {HOLD_S * 1000:.1f} ms, {BETWEEN_S * 1000:.1f} ms between; "
        f"{ideal:.2f} s each with no wait)"
    )
    ours: list[tuple[float, float]] = []
    theirs: list[tuple[float, float]] = []
    try:
        for number in range(1, args.rounds + 1):
            order = [("evergreen", _evergreen, ours), ("sqlite3 busy_timeout", _reference, theirs)]
            for name, target, into in order if number % 2 else order[::-1]:
                wall, waited = _run(target, folder, args.processes, args.transactions)
                into.append((wall, waited))
                print(f"  round {number}, {name:<21} wall {wall:6.2f} s, waiting {waited:6.2f} s")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    for name, runs in (("evergreen", ours), ("sqlite3 busy_timeout", theirs)):
        wall = statistics.median(r[0] for r in runs)
        waited = statistics.median(r[1] for r in runs)
        print(f"median {name:<21} wall {wall:6.2f} s, waiting {waited:6.2f} s")
    print(
        "evergreen / reference, wall: "
        f"{statistics.median(r[0] for r in ours) / statistics.median(r[0] for r in theirs):.2f}"
    )


if __name__ == "__main__":
    main()
