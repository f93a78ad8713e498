"""Several sending processes for one broadcast (or everything due), because one Python process
spends ~1 ms of CPU a message (DKIM signing, SMTP) and a machine has more cores than one.

Each child runs the ordinary sender loop (`delivery.send_due`) with its own run id, so the send
log's claims keep them apart exactly as they keep apart workers on several machines: a row is
claimed by one process at a time, and a row claimed by a child that died is taken over by
another once its lease ends (with `maybe_delivered` set). The parent sends nothing; it waits for
every child, adds up their reports and counts the children that ended without one.

Children are spawned (a fresh interpreter, not a fork), so a parent with threads (the server's
queue consumer) or open connections hands nothing over but the database URL and the outbox.
A child stops after the batch in flight when its parent is gone.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from dataclasses import dataclass, field, fields
from datetime import timedelta
from multiprocessing.connection import Connection

from evergreen.db import Database
from evergreen.mail.service.delivery import BATCH, LEASE, Report, send_due
from evergreen.mail.service.outbox import Outbox

__all__ = ["Child", "FleetReport", "combine", "send_in_processes"]

_COUNTS = tuple(f.name for f in fields(Report) if f.name != "broadcasts")


@dataclass(frozen=True)
class Child:
    """What one sending process did: its pid, its exit code and its report (None if it died)."""

    pid: int
    exitcode: int | None
    report: Report | None


@dataclass
class FleetReport:
    """The children's reports added up, and the children that ended without one."""

    total: Report = field(default_factory=Report)
    children: list[Child] = field(default_factory=list)

    @property
    def lost(self) -> int:
        """Children that died (killed, crashed) before reporting: their rows were either
        recorded or are taken over by another process after the lease."""
        return sum(child.report is None for child in self.children)


def combine(children: list[Child]) -> FleetReport:
    """Add up the children's counts (a child without a report adds nothing)."""
    total = Report()
    for child in children:
        if child.report is None:
            continue
        for name in _COUNTS:
            setattr(total, name, getattr(total, name) + getattr(child.report, name))
        total.broadcasts |= child.report.broadcasts
    return FleetReport(total, children)


def _child(
    url: str,
    outbox: Outbox,
    broadcast_id: int | None,
    wait: bool,
    lease_s: float,
    batch: int,
    run_s: float | None,
    parent: int,
    answer: Connection,
) -> None:
    """One sending process: the sender loop until done (or its time is up, or its parent is
    gone), then its report to the parent."""
    deadline = None if run_s is None else time.monotonic() + run_s

    def stop() -> bool:
        if os.getppid() != parent:
            return True
        return deadline is not None and time.monotonic() > deadline

    db = Database(url)
    try:
        report = send_due(
            db,
            outbox,
            broadcast_id=broadcast_id,
            wait=wait,
            lease=timedelta(seconds=lease_s),
            batch=batch,
            stop=stop,
        )
    finally:
        db.dispose()
    answer.send({name: getattr(report, name) for name in (f.name for f in fields(Report))})
    answer.close()


def send_in_processes(
    url: str,
    outbox: Outbox,
    processes: int,
    *,
    broadcast_id: int | None = None,
    wait: bool = False,
    lease: timedelta = LEASE,
    batch: int = BATCH,
    run_s: float | None = None,
) -> FleetReport:
    """Send what is due (or one broadcast) with `processes` child processes sharing the rows;
    return when every child has ended. `run_s` bounds each child's run (the server's minute)."""
    if processes < 1:
        raise ValueError("processes must be at least 1")
    context = multiprocessing.get_context("spawn")
    started: list[tuple[multiprocessing.process.BaseProcess, Connection]] = []
    for _ in range(processes):
        reader, writer = context.Pipe(duplex=False)
        process = context.Process(
            target=_child,
            args=(url, outbox, broadcast_id, wait, lease.total_seconds(), batch, run_s,
                  os.getpid(), writer),
            name="evergreen-mail-sender",
            daemon=True,
        )  # fmt: skip
        process.start()
        writer.close()  # the child's end: EOF here once the child is gone
        started.append((process, reader))
    children = []
    for child, reader in started:
        report = None
        try:
            values = reader.recv()  # the report is sent last: EOF means the child died
            report = Report(**values)
        except EOFError:
            pass
        finally:
            reader.close()
        child.join()
        assert child.pid is not None
        children.append(Child(child.pid, child.exitcode, report))
    return combine(children)
