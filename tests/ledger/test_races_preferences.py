"""The ledger's preferences saved for the first time by two requests at the same moment: both
answer, and the one row holds what each saved, as when the second save changes the row the
first stored. The first save is paused after it found no row (and, in the second case, after
its own look before inserting found none): before, on PostgreSQL (READ COMMITTED) it went on to
insert the single row the second had just committed (a 500)."""

from __future__ import annotations

import importlib
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.db import Database, RowSession
from evergreen.ledger import service
from evergreen.ledger.models import Preferences
from tests.races import race

# the module (the package's `preferences` is its function of that name)
preferences = importlib.import_module("evergreen.ledger.service.preferences")

# Where the first save is paused: after its locked read found no row; after the look that
# comes before its insert found none (its insert then meets the second's row, in a savepoint).
PAUSES = {"after-read": (RowSession, "get"), "before-insert": (preferences, "_stored")}


def _save_rate(session: Session) -> object:
    row = service.set_preferences(session, hourly_rate=Decimal(50), passive_hours=Decimal(8))
    return (row.hourly_rate, row.currency, row.passive_hours)


def _save_currency(session: Session) -> object:
    row = service.set_preferences(session, currency="EUR", passive_hours=Decimal(3))
    return (row.hourly_rate, row.currency, row.passive_hours)


@pytest.mark.parametrize("pause", list(PAUSES))
def test_two_first_saves_at_once_store_one_row_with_both(
    db: Database, monkeypatch: pytest.MonkeyPatch, pause: str
) -> None:
    first, second = race(
        db, monkeypatch, _save_rate, _save_currency, pause_at=PAUSES[pause], pause_after=True
    )
    assert first[1] is None, first[1]
    assert second[1] is None, second[1]
    # SQLite: the first holds the write lock, the second comes after it. PostgreSQL: the first,
    # paused after it found no row, comes after the second and changes the row it stored.
    if db.single_writer:
        assert first[0] == (Decimal(50), "USD", Decimal(8))
        assert second[0] == (Decimal(50), "EUR", Decimal(3))
        expected = (Decimal(50), "EUR", Decimal(3))
    else:
        assert second[0] == (None, "EUR", Decimal(3))
        assert first[0] == (Decimal(50), "EUR", Decimal(8))
        expected = (Decimal(50), "EUR", Decimal(8))
    with db.session(writer=False) as session:
        rows = session.scalars(select(Preferences)).all()
    assert [(row.hourly_rate, row.currency, row.passive_hours) for row in rows] == [expected]
