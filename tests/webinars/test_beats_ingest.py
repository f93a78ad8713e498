"""Beats through the spool into attendance, on SQLite and PostgreSQL: duplicates and replays of
the spool absorbed, beats outside the session window refused and not counted, and a kill -9 of
the ingester mid-run losing nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from evergreen.config import Settings
from evergreen.db import Database, utcnow
from evergreen.errors import Conflict, InputError, NotFound
from evergreen.webinars import queries
from evergreen.webinars.beats import Beat, BeatReader, BeatSpool, ingest_pending
from evergreen.webinars.beats.runtime import BeatRuntime
from evergreen.webinars.models import WebinarAttendance
from evergreen.webinars.rules.attendance import bits_of, mark
from tests.conftest import TEST_SECRET
from tests.webinars.beats_helpers import a_webinar, registrants, room_token


def _rows(db: Database) -> dict[int, WebinarAttendance]:
    with db.session(writer=False) as session:
        rows = session.scalars(select(WebinarAttendance)).all()
        session.expunge_all()
    return {row.registration_id: row for row in rows}


def test_duplicate_beats_and_a_replayed_spool_count_once(db: Database, tmp_path: Path) -> None:
    start = utcnow() - timedelta(minutes=30)
    (rid,) = registrants(db, a_webinar(db), start)
    at = start.timestamp()
    beats = [Beat(rid, s, at + s, True) for s in range(0, 600, 5)]
    spool = BeatSpool(tmp_path / "beats")
    spool.append(beats)
    spool.append(beats[:50])  # the player sent some twice
    spool.close()
    copy = tmp_path / "copy.beats"
    (name,) = list((tmp_path / "beats").glob("*.beats"))
    copy.write_bytes(name.read_bytes())
    reader = BeatReader(tmp_path / "beats")
    assert ingest_pending(db, reader) == 170
    assert not list((tmp_path / "beats").glob("*.beats"))  # folded, then deleted
    first = _rows(db)[rid]
    assert first.watched_seconds == first.live_seconds == 600
    assert first.max_second == 595
    # The ingester died after committing and before deleting: the same segment is read again.
    copy.rename(name)
    assert ingest_pending(db, reader) == 170
    again = _rows(db)[rid]
    assert again.watched_seconds == 600
    assert bits_of(again.watched) == mark(0, range(0, 600, 5))
    # A replay later adds what was not seen live, never twice what was.
    spool = BeatSpool(tmp_path / "beats")
    spool.append([Beat(rid, s, at + 7200 + s, False) for s in range(300, 900, 5)])
    spool.close()
    ingest_pending(db, reader)
    replayed = _rows(db)[rid]
    assert (replayed.watched_seconds, replayed.live_seconds) == (900, 600)
    card = queries_card(db, rid)
    assert card.watched_seconds == 900


def queries_card(db: Database, rid: int) -> queries.AttendanceCard:
    with db.session(writer=False) as session:
        return queries.attendance_of(session, rid)


def test_beats_outside_the_window_are_refused_and_not_counted(
    db: Database, settings: Settings
) -> None:
    now = utcnow()
    webinar = a_webinar(db, minutes=60, replay=1)
    (early,) = registrants(db, webinar, now + timedelta(minutes=10))
    (expired,) = registrants(db, webinar, now - timedelta(hours=3), count=1, channel="x")
    (ok,) = registrants(db, webinar, now - timedelta(minutes=1), count=1, channel="y")
    runtime = BeatRuntime(settings, db, TEST_SECRET)
    try:
        with pytest.raises(Conflict):
            runtime.accept("masterclass", room_token(early), 0, "c")
        with pytest.raises(Conflict):
            runtime.accept("masterclass", room_token(expired), 100, "c")
        with pytest.raises(InputError) as ahead:
            runtime.accept("masterclass", room_token(ok), 3000, "c")
        assert ahead.value.field == "second"
        with pytest.raises(NotFound):
            runtime.accept("masterclass", room_token(ok)[:-2] + "AA", 10, "c")
        with pytest.raises(NotFound):
            runtime.accept("other", room_token(ok), 10, "c")
        assert runtime.accept("masterclass", room_token(ok), 30, "c") is True
    finally:
        runtime.stop()
    rows = _rows(db)
    assert set(rows) == {ok}
    assert rows[ok].watched_seconds == 5


def test_outcomes_between_gives_each_final_outcome_once(db: Database, tmp_path: Path) -> None:
    now = utcnow()
    webinar = a_webinar(db, minutes=20)
    start = now - timedelta(minutes=50)
    stayed, left, missed = registrants(db, webinar, start, count=3)
    (pending,) = registrants(db, webinar, now - timedelta(minutes=5), channel="later")
    at = start.timestamp()
    spool = BeatSpool(tmp_path / "beats")
    spool.append([Beat(stayed, s, at + s, True) for s in range(0, 1200, 5)])
    spool.append([Beat(left, s, at + s, True) for s in range(0, 400, 5)])
    spool.append([Beat(missed, s, at + s, True) for s in range(0, 60, 5)])
    spool.close()
    ingest_pending(db, BeatReader(tmp_path / "beats"))
    final = start + timedelta(minutes=35)
    with db.session(writer=False) as session:
        found = queries.outcomes_between(session, final - timedelta(minutes=1), now)
        before = queries.outcomes_between(session, now - timedelta(days=1), final)
        after = queries.outcomes_between(session, final + timedelta(seconds=1), now)
        card = queries.attendance_of(session, pending)
    assert {(o.registration_id, o.status) for o in found} == {
        (stayed, "attended"), (left, "left_early"), (missed, "missed")
    }  # fmt: skip
    assert {o.webinar_name for o in found} == {"masterclass"}
    assert before == []
    assert after == []
    assert card.status == "registered"


_INGESTER = """
import sys
from evergreen.db import Database
from evergreen.webinars.beats.ingest import Ingester
from evergreen.webinars.beats.spool import BeatReader
db = Database(sys.argv[1])
while True:
    Ingester(db, BeatReader(__import__("pathlib").Path(sys.argv[2]))).run(batch=1)
"""


def test_kill_9_of_the_ingester_loses_no_beat(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    start = utcnow() - timedelta(minutes=30)
    people = registrants(db, a_webinar(db, minutes=60), start, count=40)
    folder = tmp_path / "beats"
    at = start.timestamp()
    for rid in people:  # one segment each, so the ingester commits many times
        spool = BeatSpool(folder)
        spool.append([Beat(rid, s, at + s, True) for s in range(0, 1800, 5)])
        spool.close()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.Popen([sys.executable, "-c", _INGESTER, database_url, str(folder)], env=env)
    try:
        deadline = time.monotonic() + 60
        while len(list(folder.glob("*.beats"))) > 30 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=10)
    left = len(list(folder.glob("*.beats")))
    assert 0 < left < 40, "the ingester was to be killed mid-run"
    ingest_pending(db, BeatReader(folder))  # the restart
    rows = _rows(db)
    assert set(rows) == set(people)
    assert {row.watched_seconds for row in rows.values()} == {1800}
    assert not list(folder.glob("*.beats"))
