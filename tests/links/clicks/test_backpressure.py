"""Back-pressure engages only when ingestion is really behind (a long wait *and* a due pass's
worth of clicks), holds the backlog where it engaged, lets go when the measure fails or goes
stale, and the lag it reads is the spool's own: the oldest unstored click and the unstored bytes,
from the offsets."""

from __future__ import annotations

import time
from pathlib import Path

import orjson
import pytest

from evergreen.db import Database
from evergreen.links.clicks.backpressure import (
    _FIRST_PAUSE_S,
    MAX_PAUSE_S,
    Brake,
    engaged,
    measure,
    next_pause,
)
from evergreen.links.clicks.follower import MAX_BACKLOG_BYTES
from evergreen.links.clicks.ingest import ClickPolicy, ingest_pending
from evergreen.links.clicks.spool import ClickSpool, SpoolReader
from tests.links.clicks.test_clicks import _link, click

BIG = MAX_BACKLOG_BYTES + 1


@pytest.mark.parametrize(
    ("behind", "backlog", "bound", "on"),
    [
        (0.0, BIG, 5.0, False),  # nothing waits
        (5.0, BIG, 5.0, False),  # at the bound: not past it
        (4.9, 10 * BIG, 5.0, False),  # a burst: many bytes, but not waiting long
        (60.0, MAX_BACKLOG_BYTES, 5.0, False),  # a trickle the follower defers: long, but small
        (None, BIG, 5.0, False),  # unknown (the database away): never hold redirects
        (60.0, BIG, 0.0, False),  # switched off
        (5.1, BIG, 5.0, True),  # past the bound with a due pass's worth waiting
        (600.0, 10 * BIG, 5.0, True),
    ],
)
def test_the_brake_engages_above_the_bound_and_not_below(
    behind: float | None, backlog: int, bound: float, on: bool
) -> None:
    assert engaged(behind, backlog, bound) is on
    # Whatever the pause was, below the bound it is gone; above, it follows the backlog.
    assert (next_pause(MAX_PAUSE_S, behind, backlog, bound, mark=0) > 0) is on


def test_the_pause_holds_the_backlog_where_the_brake_engaged() -> None:
    mark = 2 * BIG
    pause, pauses = 0.0, []
    for _ in range(30):  # the backlog stays above its mark: the pause grows to the most
        pause = next_pause(pause, 60.0, mark + 1, 5.0, mark)
        pauses.append(pause)
    assert pauses[0] == _FIRST_PAUSE_S
    assert pauses == sorted(pauses)
    assert pauses[-1] == MAX_PAUSE_S
    for _ in range(60):  # below its mark: the pause shrinks away
        pause = next_pause(pause, 60.0, mark - 1, 5.0, mark)
    assert pause == 0.0
    assert next_pause(0.0, 60.0, mark, 5.0, mark) == 0.0  # at the mark: no pause to start


def test_the_lag_is_the_oldest_unstored_click_and_the_unstored_bytes(
    db: Database, tmp_path: Path
) -> None:
    link_id = _link(db)
    folder = tmp_path / "spool"
    spool = ClickSpool(folder)
    now = time.time()
    for age in (30.0, 20.0, 10.0):
        spool.append(click(link_id, t=now - age))
    size = sum(path.stat().st_size for path in folder.glob("*.clicks"))
    lag = measure(db, folder, now=now)
    assert lag.behind == pytest.approx(30.0)
    assert lag.backlog == size
    assert ingest_pending(db, SpoolReader(folder), ClickPolicy()) == 3
    spool.append(click(link_id, t=now - 2.0))  # one more, after the pass
    lag = measure(db, folder, now=now)
    assert lag.behind == pytest.approx(2.0)
    assert 0 < lag.backlog < size
    assert ingest_pending(db, SpoolReader(folder), ClickPolicy()) == 1
    lag = measure(db, folder, now=now)
    assert (lag.behind, lag.backlog) == (0.0, 0)
    spool.close()


def _behind(folder: Path, link_id: int, seconds: float) -> None:
    """A segment holding more than a due pass's worth of clicks, the oldest `seconds` old."""
    spool = ClickSpool(folder)
    record = click(link_id, t=time.time() - seconds)
    size = len(orjson.dumps(record)) + 1
    for _ in range(BIG // size + 1):
        spool.append(click(link_id, t=record["t"]))
    spool.close()


def test_the_brake_slows_redirects_while_far_behind_and_lets_go(
    db: Database, tmp_path: Path
) -> None:
    link_id = _link(db)
    folder = tmp_path / "spool"
    brake = Brake(bound=5.0)
    assert brake.update(db, folder) == 0.0  # an empty spool
    _behind(folder, link_id, 60.0)
    assert brake.update(db, folder) == 0.0
    assert brake.mark
    _behind(folder, link_id, 60.0)  # and it grows past it
    assert brake.update(db, folder) == _FIRST_PAUSE_S
    assert brake.update(db, folder) > _FIRST_PAUSE_S
    brake.pause = MAX_PAUSE_S
    started = time.monotonic()
    for _ in range(20):  # 20 clicks owe 40 ms, slept in chunks
        brake.apply()
    assert time.monotonic() - started >= 0.03
    brake._set_at -= 10  # the loop stalled (a database cut off mid-query)
    brake.apply()
    assert brake.pause == 0.0
    assert ingest_pending(db, SpoolReader(folder), ClickPolicy()) > 0
    assert brake.update(db, folder) == 0.0
    assert brake.mark is None


def test_the_brake_lets_go_when_the_database_cannot_answer(db: Database, tmp_path: Path) -> None:
    link_id = _link(db)
    folder = tmp_path / "spool"
    _behind(folder, link_id, 60.0)
    brake = Brake(bound=5.0)
    brake.update(db, folder)
    assert brake.mark is not None
    away = Database(f"sqlite:///{tmp_path / 'missing' / 'nowhere.db'}")
    assert brake.update(away, folder) == 0.0
    assert brake.mark is None
    away.dispose()


def test_a_bound_of_zero_never_measures(db: Database, tmp_path: Path) -> None:
    link_id = _link(db)
    folder = tmp_path / "spool"
    _behind(folder, link_id, 600.0)
    assert Brake(bound=0.0).update(db, folder) == 0.0
