"""Several sending processes for one broadcast (or everything due), because one Python process
spends ~1 ms of CPU a message (DKIM signing, SMTP) and a machine has more cores than one.

Each child runs the ordinary sender loop (`delivery.send_due`) with its own run id, so the send
log's claims keep them apart exactly as they keep apart workers on several machines: a row is
claimed by one process at a time, and a row claimed by a child that died is taken over by
another once its lease ends (with `maybe_delivered` set). The parent sends nothing; it waits for
every child, adds up their reports and counts the children that ended without one.

Children are forked from a fork server: a fresh interpreter (not a fork of the parent), started
once per parent process, that has imported the sender loop and nothing else. So a parent with
threads (the server's queue consumer) or open connections hands nothing over but the database
URL and the outbox, and a child starts in milliseconds instead of importing the program again
(~0.7 s of CPU a child, which the server paid every minute for each of its senders). A child
stops after its batches in flight when its parent is gone (the end of a pipe only the parent
holds reads as closed).
"""

from __future__ import annotations

import multiprocessing
import resource
import sys
import time
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from multiprocessing.connection import Connection

from evergreen.db import Database
from evergreen.mail.service import delivery
from evergreen.mail.service.delivery import BATCH, LEASE, Report, send_due, waiting_line
from evergreen.mail.service.outbox import Outbox

__all__ = ["Child", "FleetReport", "combine", "send_in_processes"]

_COUNTS = tuple(f.name for f in fields(Report) if f.name != "broadcasts")


@dataclass(frozen=True)
class Child:
    """What one sending process did: its pid, its exit code, its report (None if it died), and
    its CPU seconds and peak resident memory (what the benchmark prints; 0 if it died)."""

    pid: int
    exitcode: int | None
    report: Report | None
    cpu_s: float = 0.0
    peak_mb: float = 0.0


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
    parent_gone: Connection,
    answer: Connection,
    say_waiting: bool = False,
) -> None:
    """One sending process: the sender loop until done (or its time is up, or its parent is
    gone), then its report to the parent."""
    deadline = None if run_s is None else time.monotonic() + run_s

    def stop() -> bool:
        if parent_gone.poll():  # readable only once the parent's end has closed
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
            on_wait=_say_waiting if say_waiting else None,
        )
    finally:
        db.dispose()
    values = {name: getattr(report, name) for name in (f.name for f in fields(Report))}
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    answer.send((values, time.process_time(), peak_mb))
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
    say_waiting: bool = False,
) -> FleetReport:
    """Send what is due (or one broadcast) with `processes` child processes sharing the rows;
    return when every child has ended. `run_s` bounds each child's run (the server's minute);
    with `say_waiting`, the first child says on stderr when they wait for deferred messages."""
    if processes < 1:
        raise ValueError("processes must be at least 1")
    context = _context()
    started: list[tuple[multiprocessing.process.BaseProcess, Connection]] = []
    # Nothing is written to `alive`: the children's end reads as closed once the parent is gone.
    parent_gone, alive = context.Pipe(duplex=False)
    try:
        for number in range(processes):
            reader, writer = context.Pipe(duplex=False)
            process = context.Process(
                target=_child,
                args=(url, outbox, broadcast_id, wait, lease.total_seconds(), batch, run_s,
                      parent_gone, writer, say_waiting and number == 0),
                name="evergreen-mail-sender",
                daemon=True,
            )  # fmt: skip
            process.start()
            writer.close()  # the child's end: EOF here once the child is gone
            started.append((process, reader))
        parent_gone.close()  # the children have theirs
        return combine(_reports(started))
    finally:
        parent_gone.close()
        alive.close()


def _say_waiting(due: datetime) -> None:
    print(waiting_line(due), file=sys.stderr, flush=True)


def _context() -> multiprocessing.context.ForkServerContext | multiprocessing.context.SpawnContext:
    """Fork server children that find the sender loop imported (spawned ones where a platform
    has no fork server)."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([delivery.__name__])  # not __main__: the CLI, the server
    return context


def _reports(
    started: list[tuple[multiprocessing.process.BaseProcess, Connection]],
) -> list[Child]:
    """Each child's report once it has ended (None for one that died before sending it)."""
    children = []
    for child, reader in started:
        report, cpu_s, peak_mb = None, 0.0, 0.0
        try:
            # The report is sent last: EOF means the child died.
            values, cpu_s, peak_mb = reader.recv()
            report = Report(**values)
        except EOFError:
            pass
        finally:
            reader.close()
        child.join()
        assert child.pid is not None
        children.append(Child(child.pid, child.exitcode, report, cpu_s, peak_mb))
    return children
