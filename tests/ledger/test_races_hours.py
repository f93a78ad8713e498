"""A day holds at most 24 hours across every stream, even when two writes of one day run at once:
a time log imported while hours are added by hand, and one entry corrected twice. On PostgreSQL
the later one had summed the day (or read the entry) before the other committed, and stored 28
or 30 hours."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evergreen.db import Database, utcnow
from evergreen.ledger import service
from evergreen.ledger.errors import LedgerInputError
from evergreen.ledger.models import HoursEntry, Stream
from evergreen.ledger.rules import StreamKind
from evergreen.ledger.service import hours, hours_import
from tests.races import Work, race

DAY = date(2026, 1, 5)


def _stream(db: Database) -> int:
    with db.session() as session:
        draft = service.StreamDraft("Blog", StreamKind.AFFILIATE)
        return service.add_stream(session, draft, utcnow().date()).id


def _day_total(db: Database) -> Decimal:
    with db.session(writer=False) as session:
        total = session.scalar(select(func.sum(HoursEntry.hours)).where(HoursEntry.date == DAY))
    return Decimal(total or 0)


def _import(session: Session) -> object:
    log = [DAY.isoformat(), "Blog  14"]
    return hours_import.import_hours(session, log, "timedot").added


def _add(stream_id: int) -> Work:
    def add(session: Session) -> object:
        stream = session.get(Stream, stream_id)
        assert stream is not None
        return service.add_hours(session, stream, DAY, Decimal(14)).hours

    return add


def test_a_log_imported_while_hours_are_added_keeps_the_day_at_24_hours(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream_id = _stream(db)
    first, second = race(
        db, monkeypatch, _import, _add(stream_id),
        pause_at=(hours_import, "hours_on"), pause_after=True,
    )  # fmt: skip
    # The import sums the day first; the hand entry, waiting for it, finds 14 hours there.
    assert first == (1, None), first
    assert isinstance(second[1], LedgerInputError), second
    assert second[1].field == "hours"
    assert _day_total(db) == 14


def _change(entry_id: int, to: int) -> Work:
    def change(session: Session) -> object:
        return service.change_hours(session, entry_id, Decimal(to)).hours

    return change


def test_one_entry_corrected_twice_at_once_keeps_the_day_at_24_hours(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream_id = _stream(db)
    with db.session() as session:
        stream = session.get(Stream, stream_id)
        assert stream is not None
        service.add_hours(session, stream, DAY, Decimal(10), "other work")
        entry_id = service.add_hours(session, stream, DAY, Decimal(10), "writing").id
    # 10 + 20 is over a day, whatever the entry held before: the correction to 20 is refused,
    # before or after the one to 2 (read before it, it took the day's other hours for 2).
    first, second = race(
        db, monkeypatch, _change(entry_id, 20), _change(entry_id, 2),
        pause_at=(hours, "hours_entry"), pause_after=True,
    )  # fmt: skip
    assert isinstance(first[1], LedgerInputError), first
    assert second == (Decimal(2), None), second
    assert _day_total(db) == 12
