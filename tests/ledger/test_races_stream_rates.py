"""A stream's own required return and persistence changed at the same moment by two callers (the
owner on the API, the subscriptions report saving its persistence): each change is checked
against the other, so the stream never holds a pair that leaves it no value (1 + r - ω ≤ 0:
every page valuing it an error). On PostgreSQL each was checked against the value the other
was replacing, and both were stored."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from evergreen.db import Database, utcnow
from evergreen.ledger import service
from evergreen.ledger.errors import LedgerInputError
from evergreen.ledger.models import Stream
from evergreen.ledger.rules import StreamKind
from evergreen.ledger.service import streams
from tests.races import Work, race


def _stream(db: Database) -> int:
    with db.session() as session:
        draft = service.StreamDraft(
            "Course", StreamKind.SUBSCRIPTION, required_return=Decimal("0.5"),
            persistence=Decimal("0.4"),
        )  # fmt: skip
        return service.add_stream(session, draft, utcnow().date()).id


def _change(stream_id: int, name: str, value: str) -> Work:
    def change(session: Session) -> object:
        stream = service.get_stream(session, stream_id)
        return getattr(service.update_stream(session, stream, {name: Decimal(value)}), name)

    return change


def test_return_and_persistence_changed_at_once_leave_the_stream_a_value(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream_id = _stream(db)
    # Alone, each is fine: 1 + 0.5 - 1 > 0 and 1 + 0 - 0.4 > 0; together 1 + 0 - 1 is not.
    first, second = race(
        db, monkeypatch, _change(stream_id, "persistence", "1"),
        _change(stream_id, "required_return", "0"),
        pause_at=(streams, "check_own_rates"), pause_after=True,
    )  # fmt: skip
    assert first == (Decimal(1), None), first
    assert isinstance(second[1], LedgerInputError), second
    assert second[1].field == "persistence"
    with db.session(writer=False) as session:
        stored = session.get(Stream, stream_id)
        assert stored is not None
        assert (stored.required_return, stored.persistence) == (Decimal("0.5"), Decimal(1))
