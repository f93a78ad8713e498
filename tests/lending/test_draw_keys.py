"""A draw request sent twice under one key is one draw, on SQLite and PostgreSQL: the retry
answers the first draw (its event logged once, its photos stored once), the key for another
amount, date or note is a conflict naming it, and two requests under one key at the same moment
make one draw without an error."""

from __future__ import annotations

import importlib
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evergreen.db import Database
from evergreen.errors import Conflict, InputError
from evergreen.lending import service
from evergreen.lending.models import Borrower, Draw, DrawPhoto, LoanEvent
from tests.races import Work, race

# The module itself (the package's `loans` is the function that lists loans).
_LOANS = importlib.import_module("evergreen.lending.service.loans")

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
DAY = date(2026, 2, 10)


def _loan(db: Database, borrower: str = "Rehab Co") -> int:
    draft = service.LoanDraft(borrower, "100000", "12%", 12, date(2026, 1, 1), commitment="20000")
    with db.session() as session:
        return service.add_loan(session, draft, new_borrower=True).id


def _draws(db: Database, loan_id: int) -> list[tuple[int, Decimal, str | None]]:
    with db.session(writer=False) as session:
        rows = session.execute(
            select(Draw.id, Draw.amount, Draw.request_key)
            .where(Draw.loan_id == loan_id)
            .order_by(Draw.id)
        )
        return [(i, a, k) for i, a, k in rows]


def _requested_events(db: Database, loan_id: int) -> int:
    with db.session(writer=False) as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(LoanEvent)
                .where(LoanEvent.loan_id == loan_id, LoanEvent.kind == "draw_requested")
            )
            or 0
        )


def test_a_draw_requested_twice_under_one_key_is_one_draw_and_one_event(db: Database) -> None:
    loan_id = _loan(db)
    asked = []
    for _ in range(2):
        with db.session() as session:
            done = service.request_draw(session, loan_id, "5000", DAY, "roof", key="req-1")
            asked.append((done.draw.id, done.created))
    assert asked == [(asked[0][0], True), (asked[0][0], False)]
    assert _draws(db, loan_id) == [(asked[0][0], Decimal(5000), "req-1")]
    assert _requested_events(db, loan_id) == 1
    # Without a key each call is a request of its own.
    for _ in range(2):
        with db.session() as session:
            assert service.request_draw(session, loan_id, "5000", DAY, "roof").created
    assert len(_draws(db, loan_id)) == 3
    assert _requested_events(db, loan_id) == 3


def test_a_retry_answers_its_draw_even_once_funded_and_nothing_is_left_to_draw(
    db: Database,
) -> None:
    """The retry is the same request, not a new one: it is not checked against what is left."""
    loan_id = _loan(db)
    with db.session() as session:
        draw_id = service.request_draw(session, loan_id, "20000", DAY, key="all").draw.id
        service.draw_action(session, draw_id, "approve", DAY)
        service.fund_draw(session, draw_id, DAY)
    with db.session() as session:
        again = service.request_draw(session, loan_id, "20000", DAY, key="all")
        assert (again.draw.id, again.draw.status, again.created) == (draw_id, "funded", False)
    with db.session() as session, pytest.raises(InputError):
        service.request_draw(session, loan_id, "20000", DAY, key="another")
    assert len(_draws(db, loan_id)) == 1


def test_a_key_sent_again_for_another_amount_date_or_note_is_a_conflict_naming_it(
    db: Database,
) -> None:
    loan_id = _loan(db)
    with db.session() as session:
        service.request_draw(session, loan_id, "5000", DAY, "roof", key="req-7")
    for amount, day, note, differs in (("6000", DAY, "roof", "amount"),
                                       ("5000", date(2026, 2, 11), "roof", "date"),
                                       ("5000", DAY, "deck", "note")):  # fmt: skip
        with pytest.raises(Conflict) as refused, db.session() as session:
            service.request_draw(session, loan_id, amount, day, note, key="req-7")
        assert refused.value.field == "key"
        assert f"differs in {differs}" in refused.value.message
    assert [amount for _i, amount, _k in _draws(db, loan_id)] == [Decimal(5000)]
    assert _requested_events(db, loan_id) == 1
    # A key is the loan's own: the same one on another loan is that loan's request.
    other = _loan(db, "Other Co")
    with db.session() as session:
        assert service.request_draw(session, other, "6000", DAY, key="req-7").created
    assert len(_draws(db, other)) == 1


@pytest.mark.parametrize("key", ["", "   ", "a\x00b", "line\nbreak", "k" * 151])
def test_a_key_that_cannot_be_stored_is_refused_naming_it(db: Database, key: str) -> None:
    loan_id = _loan(db)
    with pytest.raises(InputError) as refused, db.session() as session:
        service.request_draw(session, loan_id, "5000", DAY, key=key)
    assert refused.value.field == "key"
    assert _draws(db, loan_id) == []


def _ask(loan_id: int, key: str) -> Work:
    def ask(session: Session) -> object:
        done = service.request_draw(session, loan_id, "5000", DAY, "roof", key=key)
        return done.draw.id, done.created

    return ask


def test_two_requests_under_one_key_at_once_make_one_draw_without_an_error(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first is paused after it found no draw under the key and before it writes one; the
    second then asks under the same key. It must wait for the first and answer its draw (on
    PostgreSQL, a look for the key before the loan's lock found nothing and inserted too)."""
    loan_id = _loan(db)
    first, second = race(
        db, monkeypatch, _ask(loan_id, "double-click"), _ask(loan_id, "double-click"),
        pause_at=(_LOANS, "check_draw"),
    )  # fmt: skip
    assert first[1] is None, first[1]
    assert second[1] is None, second[1]
    draws = _draws(db, loan_id)
    assert len(draws) == 1
    assert (first[0], second[0]) == ((draws[0][0], True), (draws[0][0], False))
    assert _requested_events(db, loan_id) == 1


def _borrower(db: Database) -> Borrower:
    with db.session(writer=False) as session:
        found = session.scalar(select(Borrower).where(Borrower.name == "Rehab Co"))
        assert found is not None
        session.expunge(found)
        return found


def _stored_files(data_dir: Path) -> list[Path]:
    return sorted(p for p in (data_dir / "lending" / "draws").rglob("*") if p.is_file())


def test_a_portal_request_sent_twice_stores_its_photos_once(db: Database, tmp_path: Path) -> None:
    loan_id = _loan(db)
    ann = _borrower(db)
    asked = []
    # The portal dates a request by the day it arrives: the second click came after midnight.
    for day in (DAY, DAY + timedelta(days=1)):
        with db.session() as session:
            photos = [service.PhotoUpload("roof.png", [PNG]), service.PhotoUpload("b.png", [PNG])]
            done = service.request_draw_with_photos(session, tmp_path, ann, loan_id, "5000", day,
                                                    "roof", photos, key="form:n1")  # fmt: skip
            asked.append((done.draw.id, done.created, done.draw.requested_on))
    assert asked == [(asked[0][0], True, DAY), (asked[0][0], False, DAY)]
    with db.session(writer=False) as session:
        paths = sorted(session.scalars(select(DrawPhoto.path)))
    assert len(paths) == 2
    assert _stored_files(tmp_path) == sorted(tmp_path / p for p in paths)
    assert _requested_events(db, loan_id) == 1


def test_photos_of_a_request_whose_unit_of_work_rolls_back_leave_the_data_folder(
    db: Database, tmp_path: Path
) -> None:
    """The files follow the database: a request taken back after its photos were written (here
    by the unit of work failing later) leaves no file behind."""
    loan_id = _loan(db)
    ann = _borrower(db)

    def request(session: Session) -> None:
        photos = [service.PhotoUpload("roof.png", [PNG])]
        service.request_draw_with_photos(session, tmp_path, ann, loan_id, "5000", DAY, "roof",
                                         photos, key="k")  # fmt: skip

    def fails_after_the_request() -> None:
        with db.session() as session:
            request(session)
            assert len(_stored_files(tmp_path)) == 1
            raise RuntimeError("the unit of work fails after the request")

    with pytest.raises(RuntimeError):
        fails_after_the_request()
    assert _stored_files(tmp_path) == []
    assert _draws(db, loan_id) == []
    with db.session() as session:  # the key is free again: the retry stores the request
        request(session)
    assert len(_stored_files(tmp_path)) == 1
