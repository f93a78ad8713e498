"""The long-running ingester: when it runs (a pure rule), how it reads the CPU, and a real run."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlalchemy import func, select

from evergreen.config import Settings
from evergreen.db import Database
from evergreen.links.clicks.follower import CpuMeter, follow, ingest_now
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
    assert ingest_now(waiting=10.0, spare_cores=0.1, max_delay=10)
    assert ingest_now(waiting=0.0, spare_cores=0.1, max_delay=0)  # 0: never defer


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
            with db.session() as session:
                stored = session.scalar(select(func.count()).select_from(Click)) or 0
        assert stored == 5  # ingested while running, without a stats reader asking
        spool.append(click(link_id, v="last"))
    finally:
        spool.close()
        stop.set()
        runner.join(20)
    assert sum(result) == 6  # the click that came while stopping was ingested too
