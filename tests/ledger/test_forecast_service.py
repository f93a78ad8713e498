"""A stream's stored forecast (SQLite and PostgreSQL): saved, read back exactly, replaced,
cleared; a refused one stores nothing; concurrent saves leave one forecast, one whole version."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from evergreen.db import Database
from evergreen.ledger import service
from evergreen.ledger.errors import LedgerInputError
from evergreen.ledger.models import Forecast, ForecastAmount, Stream
from evergreen.ledger.rules import StreamKind
from evergreen.ledger.rules.forecast import Continuing

D = Decimal


@pytest.fixture
def blog(db: Database) -> int:
    with db.session() as session:
        stream = service.add_stream(
            session, service.StreamDraft("Blog", StreamKind.AFFILIATE), date(2026, 1, 1)
        )
        service.add_stream(session, service.StreamDraft("Course", StreamKind.OTHER),
                           date(2026, 1, 1))  # fmt: skip
        return stream.id


def _stream(session: object, stream_id: int) -> Stream:
    found = session.get(Stream, stream_id)  # type: ignore[attr-defined]
    assert isinstance(found, Stream)
    return found


def _rows(db: Database) -> tuple[int, int]:
    with db.session(writer=False) as session:
        return (
            session.scalar(select(func.count()).select_from(Forecast)) or 0,
            session.scalar(select(func.count()).select_from(ForecastAmount)) or 0,
        )


def test_saved_read_back_replaced_and_cleared(db: Database, blog: int) -> None:
    with db.session() as session:
        stream = _stream(session, blog)
        assert service.stream_forecast(session, stream) is None
        saved = service.set_forecast(session, stream, ["1200", "1500.25", "-40.1234"],
                                     "persistence", "0.6")  # fmt: skip
        assert saved.updated_at.tzinfo is not None
    with db.session(writer=False) as session:
        stored = service.stream_forecast(session, _stream(session, blog))
        assert stored is not None
        assert stored.plan.years == (D(1200), D("1500.25"), D("-40.1234"))
        assert stored.plan.continuing is Continuing.PERSISTENCE
        assert stored.plan.persistence == D("0.6")
        course = service.stream_named(session, "Course")
        assert service.stream_forecast(session, course) is None  # one stream's, not another's
    with db.session() as session:
        service.set_forecast(session, _stream(session, blog), [D(900)], "perpetuity")
    with db.session(writer=False) as session:
        stored = service.stream_forecast(session, _stream(session, blog))
        assert stored is not None
        assert stored.plan.years == (D(900),)  # the former three years are gone
        assert (stored.plan.continuing, stored.plan.persistence) == (Continuing.PERPETUITY, None)
    assert _rows(db) == (1, 1)
    with db.session() as session:
        assert service.clear_forecast(session, _stream(session, blog)) is True
        assert service.clear_forecast(session, _stream(session, blog)) is False
    assert _rows(db) == (0, 0)


def test_a_refused_forecast_stores_nothing_and_keeps_the_former(db: Database, blog: int) -> None:
    with db.session() as session:
        service.set_forecast(session, _stream(session, blog), ["100", "200"], "none")
    for years, continuing, omega, field in (
        (["100", "x"], "none", None, "years[1]"),
        (["100"], "persistence", None, "persistence"),
        (["100"], "sometimes", None, "continuing"),
        (["1"] * 31, "none", None, "years"),
    ):
        with pytest.raises(LedgerInputError) as refused, db.session() as session:
            service.set_forecast(session, _stream(session, blog), years, continuing, omega)
        assert refused.value.field == field
    assert _rows(db) == (1, 2)
    with db.session(writer=False) as session:
        stored = service.stream_forecast(session, _stream(session, blog))
        assert stored is not None
        assert stored.plan.years == (D(100), D(200))


def test_thirty_years_at_the_largest_amounts_fit_both_databases(db: Database, blog: int) -> None:
    years = [f"{'-' if i % 2 else ''}99999999999.9999" for i in range(30)]
    with db.session() as session:
        service.set_forecast(session, _stream(session, blog), years, "none")
    with db.session(writer=False) as session:
        stored = service.stream_forecast(session, _stream(session, blog))
        assert stored is not None
        assert [str(a) for a in stored.plan.years] == years


def test_concurrent_saves_leave_one_whole_forecast(db: Database, blog: int) -> None:
    def save(n: int) -> None:
        with db.session() as session:
            service.set_forecast(session, _stream(session, blog), [str(n)] * (n % 5 + 1), "none")

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(save, range(16)))
    with db.session(writer=False) as session:
        stored = service.stream_forecast(session, _stream(session, blog))
        assert stored is not None
    # One save's years, all of them: never two saves' years mixed or added together.
    first = stored.plan.years[0]
    assert stored.plan.years == (first,) * (int(first) % 5 + 1)
    assert _rows(db) == (1, len(stored.plan.years))
