"""Saved segments and live counts on SQLite and PostgreSQL: checked, canonical, unique, walked
in id order in chunks."""

from __future__ import annotations

from datetime import timedelta

import pytest

from evergreen.audience import queries
from evergreen.audience.errors import AudienceInputError
from evergreen.audience.rules.segments import SubscriberFacts
from evergreen.audience.service import segments as service
from evergreen.db import Database, utcnow
from evergreen.errors import Conflict, NotFound
from tests.audience.segments.population import add_people, make_lists


def _people(db: Database, count: int = 25) -> list[int]:
    now = utcnow()
    with db.session() as session:
        lists = make_lists(session, ["Weekly tips"])
        return add_people(
            session,
            [
                SubscriberFacts(
                    created_at=now - timedelta(days=n),
                    tags=frozenset({"buyer"} if n % 2 else set()),
                    lists={"Weekly tips": "subscribed" if n % 3 else "unconfirmed"},
                    fields={"country": "DE" if n % 5 else "FR", "age": n},
                )
                for n in range(count)
            ],
            lists,
        )


def test_segments_are_saved_canonical_and_counted_live(db: Database) -> None:
    ids = _people(db)
    with db.session() as session:
        row = service.create_segment(session, " Buyers ", "TAG:Buyer AND field.age >= 10")
        assert (row.name, row.query) == ("Buyers", "tag:Buyer and field.age >= 10")
        assert service.count_segment(session, row) == len(
            [n for n in range(25) if n % 2 and n >= 10]
        )
        segment_id = row.id
    with db.session() as session:
        service.update_segment(session, segment_id, "Buyers", 'list:"Weekly tips"')
        assert service.count(session, 'list:"Weekly tips"') == len([n for n in range(25) if n % 3])
        assert [s.name for s in queries.segments(session)] == ["Buyers"]
        walked = list(queries.segment_member_ids(session, segment_id, chunk=4))
        expected = [i for n, i in enumerate(ids) if n % 3]
        assert [i for chunk in walked for i in chunk] == expected
        assert all(len(chunk) == 4 for chunk in walked[:-1])
        resumed = list(service.member_ids(session, 'list:"Weekly tips"', after_id=expected[5]))
        assert resumed == [expected[6:]]
        service.delete_segment(session, segment_id)
        assert service.segments(session) == []


def test_refusals_name_the_field(db: Database) -> None:
    _people(db, 1)
    with db.session() as session:
        service.create_segment(session, "Germany", 'field.country = "DE"')
    with db.session() as session:
        with pytest.raises(Conflict, match='a segment named "Germany" already exists'):
            service.create_segment(session, "Germany", "tag:x")
        with pytest.raises(AudienceInputError) as refused:
            service.create_segment(session, "Broken", "tag:x and")
        assert refused.value.field == "query"
        assert "at character 10" in refused.value.message
        with pytest.raises(AudienceInputError, match='there is no list named "Nope"'):
            service.count(session, "list:Nope")
        with pytest.raises(AudienceInputError, match="needs a name"):
            service.create_segment(session, "  ", "tag:x")
        with pytest.raises(AudienceInputError, match="at most 100 characters"):
            service.create_segment(session, "x" * 101, "tag:x")
        with pytest.raises(NotFound):
            service.update_segment(session, 999, "x", "tag:x")


def test_a_saved_segment_whose_list_is_gone_selects_nobody(db: Database) -> None:
    _people(db, 3)
    with db.session() as session:
        row = service.create_segment(session, "Tips", 'list:"Weekly tips"')
        assert service.count_segment(session, row) == 2
        from evergreen.audience.models import AudienceList

        session.delete(session.query(AudienceList).one())
        session.flush()
        assert service.count_segment(session, row) == 0


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("field.big > 9223372036854775808", ["huge"]),
        ("field.big >= 9223372036854775807", ["max", "huge"]),
        ("field.big < -9223372036854775809", ["tiny"]),
        ("field.big > -9223372036854775809", ["max", "huge", "small"]),
        ("field.big = 100000000000000000000", ["huge"]),
    ],
)
def test_numbers_beyond_64_bits_are_compared_by_value(
    db: Database, query: str, expected: list[str]
) -> None:
    values = {"max": 2**63 - 1, "huge": 10**20, "small": -5, "tiny": -(10**20)}
    with db.session() as session:
        lists = make_lists(session, ["Weekly tips"])
        ids = add_people(
            session,
            [
                SubscriberFacts(
                    created_at=utcnow(),
                    lists={"Weekly tips": "subscribed"},
                    fields={"big": value},
                )
                for value in values.values()
            ],
            lists,
        )
    names = dict(zip(ids, values, strict=True))
    with db.session() as session:
        found = [names[i] for chunk in service.member_ids(session, query) for i in chunk]
        assert service.count(session, query) == len(expected)
    assert sorted(found) == sorted(expected)
