"""A write a unique key guards, on SQLite and PostgreSQL: made when the key is free, refused
(False, nothing written, the unit of work going on) when it is held before the write or taken
by another unit of work between the check and the write, and any other integrity error raised
as it is. The services refuse a taken name, slug or address through it; two of them changed
the row before storing it, so a rename to a taken name was flushed outside any savepoint (a
500), and now make the change inside the write."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from evergreen.audience.models import AudienceList
from evergreen.commerce import service as commerce
from evergreen.db import Database, write_unless_taken
from evergreen.errors import Conflict


def _taken(session: Session, name: str) -> bool:
    return session.scalar(select(AudienceList.id).where(AudienceList.name == name)) is not None


def _names(db: Database) -> list[str]:
    with db.session(writer=False) as session:
        return list(session.scalars(select(AudienceList.name).order_by(AudienceList.name)))


def test_a_free_key_is_written(db: Database) -> None:
    with db.session() as session:
        row = AudienceList(name="News")
        written = write_unless_taken(
            session, lambda: session.add(row), lambda: _taken(session, "News")
        )
        assert written is True
        assert row.id is not None  # flushed: the caller may use its id at once
    assert _names(db) == ["News"]


def test_a_key_already_held_is_refused_before_anything_is_written(db: Database) -> None:
    with db.session() as session:
        session.add(AudienceList(name="News"))
    writes: list[str] = []
    with db.session() as session:

        def write() -> None:
            writes.append("News")
            session.add(AudienceList(name="News"))

        assert write_unless_taken(session, write, lambda: _taken(session, "News")) is False
        assert writes == []  # refused on the first look, without trying the write
        session.add(AudienceList(name="Offers"))  # the unit of work goes on
        session.flush()
    assert _names(db) == ["News", "Offers"]


def test_the_first_look_flushes_nothing_so_a_refusal_comes_before_a_pending_clash(
    db: Database,
) -> None:
    """A change made before the call that would clash (a rename to the taken name) is not
    flushed by the first look: autoflushed there, outside any savepoint, its IntegrityError
    would end the whole transaction instead of a refusal."""
    with db.session() as session:
        session.add_all([AudienceList(name="News"), AudienceList(name="Offers")])
    with db.sessions() as session:
        offers = session.scalars(select(AudienceList).where(AudienceList.name == "Offers")).one()
        offers.name = "News"
        assert write_unless_taken(session, lambda: None, lambda: _taken(session, "News")) is False
        session.rollback()
    assert _names(db) == ["News", "Offers"]


def test_a_key_taken_between_the_check_and_the_write_is_refused_and_the_unit_of_work_goes_on(
    db: Database,
) -> None:
    """Another unit of work commits the same name while this one checks it (on SQLite, where a
    writer holds the file's write lock, a writer opened inside this one joins it as a
    savepoint): the insert's IntegrityError is absorbed and the earlier writes stay."""
    looks: list[bool] = []

    def taken_meanwhile(session: Session) -> bool:
        held = _taken(session, "News")
        if not looks:  # the first look found it free; now someone else takes it
            with db.session() as other:
                other.add(AudienceList(name="News", description="the other one"))
        looks.append(held)
        return held

    with db.session() as session:
        session.add(AudienceList(name="Earlier"))
        session.flush()
        ours = AudienceList(name="News", description="ours")
        written = write_unless_taken(
            session, lambda: session.add(ours), lambda: taken_meanwhile(session)
        )
        assert written is False
        assert looks == [False, True]  # free at first, held once the write clashed
        later = AudienceList(name="Later")
        session.add(later)
        session.flush()  # the session is still usable after the absorbed error
        assert later.id is not None
    assert _names(db) == ["Earlier", "Later", "News"]
    with db.session(writer=False) as session:
        kept = session.scalar(select(AudienceList.description).where(AudienceList.name == "News"))
    assert kept == "the other one"


def test_an_integrity_error_for_another_reason_is_raised(db: Database) -> None:
    looks: list[bool] = []

    def taken() -> bool:
        looks.append(False)
        return False

    with db.session() as session:
        session.add(AudienceList(name="Earlier"))
        session.flush()
        nameless = AudienceList(name=None)  # NOT NULL: no unique key of anyone's
        with pytest.raises(IntegrityError):
            write_unless_taken(session, lambda: session.add(nameless), taken)
        assert looks == [False, False]  # looked again after the error: still free, so raised
        count = session.scalar(select(func.count()).select_from(AudienceList))
        assert count == 1  # only the savepoint was undone


def test_a_product_renamed_to_a_taken_name_is_refused_naming_it(db: Database) -> None:
    with db.session() as session:
        commerce.add_product(session, commerce.ProductDraft("Alpha", "digital"))
        beta = commerce.add_product(session, commerce.ProductDraft("Beta", "digital")).id
    with db.session() as session, pytest.raises(Conflict) as refused:
        commerce.update_product(session, beta, name="Alpha")
    assert (refused.value.field, refused.value.message) == (
        "name",
        "a product named 'Alpha' already exists",
    )
    with db.session(writer=False) as session:
        assert commerce.get_product(session, beta).name == "Beta"


def test_a_default_price_rule_renamed_to_a_taken_name_is_refused_naming_it(db: Database) -> None:
    ranges = [("0", None, "2", None)]
    with db.session() as session:
        commerce.save_rule(session, commerce.RuleDraft("A", "USD", ranges))
        b = commerce.save_rule(session, commerce.RuleDraft("B", "USD", ranges)).id
    with db.session() as session, pytest.raises(Conflict) as refused:
        commerce.save_rule(session, commerce.RuleDraft("A", "USD", ranges, is_default=True), b)
    assert (refused.value.field, refused.value.message) == (
        "name",
        "a price rule named 'A' already exists",
    )
