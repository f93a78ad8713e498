"""The long-running ingester: when it runs (a pure rule), how it reads the CPU, and a real run."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from evergreen.config import Settings
from evergreen.db import Database
from evergreen.links.clicks import follower
from evergreen.links.clicks.follower import MAX_BACKLOG_BYTES, CpuMeter, follow, ingest_now
from evergreen.links.clicks.ingest import spool_folder
from evergreen.links.clicks.spool import ClickSpool
from evergreen.links.models import Click
from tests.links.clicks.test_clicks import _link, click


def test_nothing_new_means_no_pass() -> None:
    assert not ingest_now(waiting=None, spare_cores=2.0, max_delay=10)


def test_spare_cpu_means_ingest_at_once() -> None:
    assert ingest_now(waiting=0.0, spare_cores=1.5, max_delay=10)
    assert ingest_now(waiting=0.0, spare_cores=None, max_delay=10)  # unknown: never hold back


def test_a_busy_machine_defers_ingestion_but_only_up_to_the_delay() -> None:
    assert not ingest_now(waiting=3.0, spare_cores=0.1, max_delay=10)
    assert ingest_now(waiting=10.0, spare_cores=0.1, max_delay=10) == "due"
    assert ingest_now(waiting=0.0, spare_cores=0.1, max_delay=0) == "due"  # 0: never defer


def test_a_busy_machine_ingests_once_the_backlog_reaches_its_bound() -> None:
    """Under saturation the delay alone lets the delay times the rate pile up per pass."""
    assert not ingest_now(waiting=1.0, spare_cores=0.1, max_delay=10, backlog=MAX_BACKLOG_BYTES - 1)
    assert ingest_now(waiting=1.0, spare_cores=0.1, max_delay=10, backlog=MAX_BACKLOG_BYTES) == (
        "due"
    )


def test_only_a_pass_on_spare_cpu_is_sliced() -> None:
    assert ingest_now(waiting=0.0, spare_cores=1.5, max_delay=10) == "spare"
    assert ingest_now(waiting=0.0, spare_cores=None, max_delay=10) == "due"  # nothing to yield to
    assert ingest_now(waiting=10.0, spare_cores=1.5, max_delay=10) == "due"


def _stat(path: Path, user: int, idle: int) -> None:
    path.write_text(f"cpu  {user} 0 0 {idle} 0 0 0 0 0 0\ncpu0 1 0 0 1 0 0 0 0 0 0\n")


def test_the_meter_reads_idle_cores_between_two_readings(tmp_path: Path) -> None:
    stat = tmp_path / "stat"
    _stat(stat, user=1000, idle=1000)
    meter = CpuMeter(stat)
    _stat(stat, user=1000 + 300 * meter.cores, idle=1000 + 100 * meter.cores)  # 25 % idle
    spare = meter.spare_cores()
    assert spare is not None
    # A quarter of the machine was idle; this process's own (tiny) use counts as spare too.
    assert 0.25 * meter.cores <= spare < 0.25 * meter.cores + 0.5
    stat.write_text("garbage\n")
    assert meter.spare_cores() is None


def test_the_meter_is_none_without_proc_stat(tmp_path: Path) -> None:
    assert CpuMeter(tmp_path / "missing").spare_cores() is None


def test_follow_ingests_what_arrives_and_stops_cleanly(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    link_id = _link(db)
    settings = settings.model_copy(update={"click_ingest_delay_s": 0})
    spool = ClickSpool(spool_folder(settings))
    stop = threading.Event()
    result: list[int] = []
    runner = threading.Thread(
        target=lambda: result.append(follow(db, settings, stop, interval=0.05))
    )
    runner.start()
    try:
        for n in range(5):
            spool.append(click(link_id, v=f"v{n}"))
        deadline = time.monotonic() + 20
        stored = 0
        while stored < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
            with db.session(writer=False) as session:  # a read: never in the ingester's way
                stored = session.scalar(select(func.count()).select_from(Click)) or 0
        assert stored == 5  # ingested while running, without a stats reader asking
        spool.append(click(link_id, v="last"))
    finally:
        spool.close()
        stop.set()
        runner.join(20)
    assert sum(result) == 6  # the click that came while stopping was ingested too


class _IdleMachine(CpuMeter):
    """A machine with every core idle, whatever this one's load (so every pass is sliced)."""

    def spare_cores(self) -> float | None:
        return float(self.cores)


def test_slices_on_spare_cpu_ingest_a_backlog_without_new_clicks_arriving(
    db: Database, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A slice that stops at its time limit leaves clicks; the next look takes them, though
    the spool did not change in between."""
    link_id = _link(db)
    monkeypatch.setattr(follower, "_SLICE_S", 0.0)  # one batch a slice
    monkeypatch.setattr(follower, "_SLICE_BATCH", 3)
    settings = settings.model_copy(update={"click_ingest_delay_s": 300})
    spool = ClickSpool(spool_folder(settings))
    for n in range(10):
        spool.append(click(link_id, v=f"v{n}"))
    spool.close()
    stop = threading.Event()
    runner = threading.Thread(
        target=lambda: follow(db, settings, stop, interval=0.05, meter=_IdleMachine())
    )
    runner.start()
    try:
        deadline = time.monotonic() + 20
        stored = 0
        while stored < 10 and time.monotonic() < deadline:
            time.sleep(0.05)
            with db.session(writer=False) as session:  # a read: never in the ingester's way
                stored = session.scalar(select(func.count()).select_from(Click)) or 0
        assert stored == 10  # before the stop (whose last pass would take the rest anyway)
    finally:
        stop.set()
        runner.join(20)
