"""The one running timer stopped twice at once (a double click on Stop), or stopped while a
start replaces it: its time is recorded once. On PostgreSQL the later one had read the timer
before the other deleted it, deleted it again (no row) and recorded the same hours a second
time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.db import Database, utcnow
from evergreen.errors import Conflict
from evergreen.ledger import service
from evergreen.ledger.models import HoursEntry, RunningTimer, Stream
from evergreen.ledger.rules import StreamKind
from evergreen.ledger.service import hours
from tests.races import Work, race

STARTED = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
NOW = STARTED + timedelta(hours=2)


def _streams(db: Database) -> tuple[int, int]:
    """Two streams, a timer running on the first since STARTED."""
    with db.session() as session:
        one = service.add_stream(session, service.StreamDraft("Blog", StreamKind.AFFILIATE),
                                 utcnow().date())  # fmt: skip
        two = service.add_stream(session, service.StreamDraft("Book", StreamKind.ROYALTIES),
                                 utcnow().date())  # fmt: skip
        service.start_timer(session, one, STARTED, "writing")
        return one.id, two.id


def _stop(session: Session) -> object:
    return [(entry.stream_id, entry.hours) for entry in service.stop_timer(session, NOW)]


def _start(stream_id: int) -> Work:
    def start(session: Session) -> object:
        stream = session.get(Stream, stream_id)
        assert stream is not None
        return service.start_timer(session, stream, NOW, "editing").stream_id

    return start


def _recorded(db: Database) -> list[tuple[int, date, Decimal]]:
    with db.session(writer=False) as session:
        rows = session.execute(select(HoursEntry.stream_id, HoursEntry.date, HoursEntry.hours))
        return [(stream_id, day, Decimal(h)) for stream_id, day, h in rows]


def test_a_timer_stopped_twice_at_once_records_its_time_once(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    blog, _book = _streams(db)
    first, second = race(
        db, monkeypatch, _stop, _stop, pause_at=(hours, "running_timer"), pause_after=True
    )
    assert _recorded(db) == [(blog, date(2026, 1, 5), Decimal(2))]
    # The first stop records the two hours; the second, waiting for it, finds no timer.
    assert first == ([(blog, Decimal(2))], None), first
    assert isinstance(second[1], Conflict), second
    assert second[1].message == "no timer is running"
    with db.session(writer=False) as session:
        assert session.get(RunningTimer, 1) is None


def test_a_timer_stopped_while_a_start_replaces_it_records_its_time_once(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    blog, book = _streams(db)
    first, second = race(
        db, monkeypatch, _start(book), _stop, pause_at=(hours, "running_timer"), pause_after=True
    )
    assert first == (book, None), first
    assert second[1] is None, second
    # The start stops the blog's timer (its two hours recorded, once) and starts the book's;
    # the stop, after it, stops the book's timer at the moment it started: nothing to record.
    assert second[0] == []
    assert _recorded(db) == [(blog, date(2026, 1, 5), Decimal(2))]
    with db.session(writer=False) as session:
        assert session.get(RunningTimer, 1) is None
