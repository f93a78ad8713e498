"""When the background ingester runs: at once while the machine has CPU to spare, otherwise after
a bounded delay or once a bounded backlog has built up. Under a burst, redirects come first and
clicks wait safely in the spool; stats readers ingest what is pending before they answer, so no
figure is ever short.

Every pass runs at normal priority. A pass on spare CPU takes short slices (a small batch, then
a fresh look at the CPU), so a burst arriving mid-pass waits for one slice at most; a pass that
is due (the delay or the backlog bound reached) ingests everything, because under saturation
nothing else would. Idle priority (SCHED_IDLE) is not used: an ingester holds the spool's lock
and PostgreSQL locks that the next pass and other servers' ingesters wait for, and at idle
priority on a busy machine it would hold them for seconds (priority inversion)."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from evergreen.config import Settings
from evergreen.db import Database
from evergreen.links.clicks.ingest import ClickPolicy, ingest_pending, spool_folder
from evergreen.links.clicks.spool import SpoolReader
from evergreen.links.clicks.visitors import VisitorMemory

__all__ = ["MAX_BACKLOG_BYTES", "CpuMeter", "Pass", "drain", "follow", "ingest_now"]

log = logging.getLogger(__name__)

_PROC_STAT = Path("/proc/stat")
# Spooled since the last pass, beyond which a pass is due however busy the machine (about 15,000
# clicks, under two seconds of redirects at 8,000/s).
MAX_BACKLOG_BYTES = 4 * 1024 * 1024
_SLICE_S = 0.25  # a pass on spare CPU starts no batch after this long
_SLICE_BATCH = 2_000  # clicks per batch in such a pass (a tenth of a second or so)
_DUE_BATCH = 5_000  # per batch in a due pass: short transactions, so ingesters alternate and
# the offsets (what back-pressure measures) move every second or two, not in 5-second steps

Pass = Literal["spare", "due"]


def ingest_now(
    *,
    waiting: float | None,
    spare_cores: float | None,
    max_delay: float,
    min_spare: float = 0.5,
    backlog: int = 0,
    max_backlog: int = MAX_BACKLOG_BYTES,
) -> Pass | None:
    """Whether to ingest now: "spare" (in slices, the CPU is free), "due", or None.

    `waiting` is how long new clicks have been waiting (None: nothing new); `spare_cores` is the
    idle CPU since the last look, in cores (None: unknown, so never hold back); `backlog` is
    the bytes spooled since the last pass.
    """
    if waiting is None:
        return None
    if spare_cores is None or waiting >= max_delay or backlog >= max_backlog:
        return "due"
    if spare_cores >= min_spare:
        return "spare"
    return None


class CpuMeter:
    """Idle CPU of the machine between two readings, counting this process's own use as idle
    (its work is what would be deferred). Linux only; elsewhere the reading is None."""

    def __init__(self, stat: Path = _PROC_STAT) -> None:
        self.stat = stat
        self.cores = os.cpu_count() or 1
        self.last = self._sample()

    def _sample(self) -> tuple[float, float, float] | None:
        """(idle jiffies, all jiffies, own CPU seconds), or None when /proc/stat is unreadable."""
        try:
            fields = self.stat.read_text().split("\n", 1)[0].split()
        except OSError:
            return None
        if len(fields) < 5 or fields[0] != "cpu":
            return None
        numbers = [float(value) for value in fields[1:9]]
        idle = numbers[3] + (numbers[4] if len(numbers) > 4 else 0.0)  # idle + iowait
        times = os.times()
        return idle, sum(numbers), times.user + times.system

    def spare_cores(self) -> float | None:
        """Idle cores (0 … cpu count) since the previous call."""
        now = self._sample()
        before, self.last = self.last, now
        if now is None or before is None or now[1] <= before[1]:
            return None
        share = (now[0] - before[0]) / (now[1] - before[1])
        ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        elapsed = (now[1] - before[1]) / ticks / self.cores
        own = (now[2] - before[2]) / elapsed if elapsed > 0 else 0.0
        return min(self.cores, share * self.cores + own)


def follow(
    db: Database,
    settings: Settings,
    stop: threading.Event,
    *,
    interval: float = 0.5,
    alive: Callable[[], bool] = lambda: True,
    meter: CpuMeter | None = None,
) -> int:
    """Ingest until `stop` is set or `alive()` turns false, then once more; returns the count."""
    policy = ClickPolicy.of(settings)
    memory = policy.memory()  # kept across passes: no history queries in steady state
    reader = SpoolReader(spool_folder(settings))
    meter = meter or CpuMeter()
    total, seen, since = 0, -1, time.monotonic()  # spool size at the last pass; new since when
    base = 0  # spool size when the last whole pass began: the backlog is what came since
    while True:
        size = reader.pending_bytes()
        base = min(base, size)  # finished segments were removed
        if size != seen and since < 0:
            since = time.monotonic()
        waiting = time.monotonic() - since if since >= 0 else None
        # Half the machine idle: the redirects are not short of CPU, ingesting costs them nothing.
        kind = ingest_now(
            waiting=waiting,
            spare_cores=meter.spare_cores(),
            max_delay=settings.click_ingest_delay_s,
            min_spare=meter.cores / 2,
            backlog=size - base,
        )
        if kind is not None:
            seen, since = size, -1.0
            spare = kind == "spare"
            deadline = time.monotonic() + _SLICE_S if spare else None
            try:
                total += ingest_pending(
                    db, reader, policy, memory=memory,
                    batch=_SLICE_BATCH if spare else _DUE_BATCH, deadline=deadline,
                    first_batch=True,
                )  # fmt: skip
            except Exception as exc:  # the database may be away: clicks wait in the spool
                log.warning("ingestion failed, retrying: %s", exc)
                since = time.monotonic()
            else:
                if deadline is not None and time.monotonic() >= deadline:
                    seen = -1  # cut short: clicks are left, the next look decides again
                else:
                    base = size
        if stop.wait(interval) or not alive():
            break
    return total + drain(db, reader, policy, settings.drain_timeout_s, memory=memory)


def drain(
    db: Database,
    reader: SpoolReader,
    policy: ClickPolicy,
    timeout: float,
    memory: VisitorMemory | None = None,
) -> int:
    """The last pass of a server that leaves: everything spooled, unless that takes longer than
    `timeout` seconds; then what is left is said and stays on disk for the next ingester."""
    deadline = time.monotonic() + timeout
    stored = 0
    try:
        stored = ingest_pending(db, reader, policy, memory=memory, deadline=deadline)
    except Exception as exc:  # left in the spool for the next ingester
        log.warning("final ingestion failed: %s", exc)
    if time.monotonic() >= deadline:
        left = reader.pending_bytes()
        if left:
            log.warning(
                "drain stopped after %s s with %d bytes of clicks still spooled in %s; they stay "
                "there: the next `evergreen serve` here, or `evergreen links ingest --spool %s`, "
                "ingests them",
                timeout, left, reader.folder, reader.folder,
            )  # fmt: skip
    return stored
