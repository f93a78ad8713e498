"""Watching servers under load: each spool's backlog (spooled, not yet ingested) and the CPU
their processes and database use. Used by `redirect_cluster.py`."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

__all__ = ["Sample", "Sampler", "Spool", "cpu_seconds", "per_line_of", "slope", "stored"]


@dataclass
class Spool:
    """One server's spool as the sampler sees it: lines counted in each segment so far."""

    folder: Path
    counted: dict[str, int] = field(default_factory=dict)  # segment → bytes read for lines
    stored: dict[str, int] = field(default_factory=dict)  # segment → highest offset stored
    lines: int = 0
    lines_before: int = 0  # lines when wrk's timed run began (the warm-up's are not counted)
    bytes: int = 0
    forgotten: int = 0  # samples where a segment's stored offset went back (or vanished)

    def sample(self, offsets: dict[str, int]) -> int:
        """Bytes spooled but not ingested now; counts the lines appended since the last look."""
        backlog = 0
        for path in self.folder.glob("*.clicks"):
            try:
                size = path.stat().st_size
                done = self.counted.get(path.name, 0)
                if size > done:
                    with path.open("rb") as handle:
                        handle.seek(done)
                        chunk = handle.read(size - done)
                    whole = chunk.rfind(b"\n") + 1
                    self.lines += chunk.count(b"\n", 0, whole)
                    self.bytes += whole
                    self.counted[path.name] = done + whole
            except FileNotFoundError:  # ingested and removed while we looked
                continue
            # An offset only moves forward with the clicks it was stored with: one that went back
            # (another ingester forgot it) still marks clicks stored.
            before, now = self.stored.get(path.name, 0), offsets.get(path.name, 0)
            self.forgotten += now < before
            self.stored[path.name] = max(before, now)
            backlog += max(0, size - self.stored[path.name])
        return backlog


@dataclass(frozen=True)
class Sample:
    """One look at the servers: when, each spool's backlog in bytes (segments minus stored
    offsets), and the clicks spooled by all of them but not yet stored (lines minus rows)."""

    at: float
    backlog: list[int]
    unstored: int


class Sampler(threading.Thread):
    """Every second, a `Sample`."""

    def __init__(self, engine: Engine, spools: list[Spool]) -> None:
        super().__init__(daemon=True)
        self.engine, self.spools = engine, spools
        self.samples: list[Sample] = []
        self.halt = threading.Event()

    def take(self) -> Sample:
        with self.engine.connect() as conn:
            offsets = {
                str(n): int(o)
                for n, o in conn.execute(text('SELECT name, "offset" FROM spool_offsets'))
            }
        backlog = [spool.sample(offsets) for spool in self.spools]
        # Lines first, rows second: a click stored in between is counted on both sides.
        lines = sum(spool.lines for spool in self.spools)
        return Sample(time.monotonic(), backlog, max(0, lines - stored(self.engine)))

    def run(self) -> None:
        while not self.halt.is_set():
            self.samples.append(self.take())
            self.halt.wait(1.0)


def stored(engine: Engine) -> int:
    """Clicks stored so far, every server's (the clicks table has no server column)."""
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM clicks")).scalar_one())


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (time, value) points; 0 for fewer than two."""
    if len(points) < 2:
        return 0.0
    mean_t = sum(t for t, _ in points) / len(points)
    mean_v = sum(v for _, v in points) / len(points)
    spread = sum((t - mean_t) ** 2 for t, _ in points)
    return sum((t - mean_t) * (v - mean_v) for t, v in points) / spread if spread else 0.0


def cpu_seconds(roots: list[int], database: str) -> dict[str, float]:
    """CPU seconds used so far by these processes and their descendants (Linux /proc), split
    into the click ingesters (`links ingest`) and the rest (the web processes), and by the
    PostgreSQL backends serving `database`."""
    parents: dict[int, int] = {}
    used: dict[int, tuple[str, float]] = {}
    commands: dict[int, bytes] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        kind = "ingester" if b"ingest" in command else "web"
        used[pid] = kind, (int(fields[11]) + int(fields[12])) / tick
        commands[pid] = command
    totals = {"web": 0.0, "ingester": 0.0, "database": 0.0}
    for pid, (kind, seconds) in used.items():
        ancestor = pid
        while ancestor not in roots and ancestor in parents and ancestor > 1:
            ancestor = parents[ancestor]
        if ancestor in roots:
            totals[kind] += seconds
        elif f" {database} ".encode() in commands[pid]:
            totals["database"] += seconds
    return totals


def per_line_of(spools: list[Spool]) -> float:
    """Mean bytes of a spooled click (to turn a backlog in bytes into clicks)."""
    return sum(s.bytes for s in spools) / max(1, sum(s.lines for s in spools)) or 1.0
