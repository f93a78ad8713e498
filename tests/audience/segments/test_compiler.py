"""The SQL compiler agrees with the plain-Python meaning of every tree, for random people and
random trees, on SQLite and PostgreSQL; every literal reaches the database as a parameter."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from evergreen.audience.models import Subscriber
from evergreen.audience.rules import segments as lang
from evergreen.audience.service import segments as service
from evergreen.db import Database
from tests.audience.segments.population import add_people, clear, make_lists
from tests.audience.segments.strategies import LISTS, NOW, people, trees


def _selected(session: Any, tree: lang.Node, lists: dict[str, int]) -> set[int]:
    dialect = session.get_bind().dialect.name
    where = service.compile_tree(tree, now=NOW, dialect=dialect, lists=lists)
    return set(session.scalars(select(Subscriber.id).where(where)))


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(people(), min_size=1, max_size=12), st.lists(trees(), min_size=1, max_size=8))
def test_sql_selects_exactly_whom_the_python_meaning_selects(
    db: Database, population: list[lang.SubscriberFacts], queries: list[lang.Node]
) -> None:
    with db.session() as session:
        clear(session)
        lists = make_lists(session, LISTS)
        ids = add_people(session, population, lists)
        for tree in queries:
            expected = {
                row_id
                for row_id, facts in zip(ids, population, strict=True)
                if lang.matches(tree, facts, NOW)
            }
            assert _selected(session, tree, lists) == expected, lang.show(tree)
        session.rollback()


def test_the_issues_example_on_three_people(db: Database) -> None:
    buyer_de = lang.SubscriberFacts(
        created_at=NOW, tags=frozenset({"buyer"}), fields={"country": "DE"}
    )
    clicked = lang.SubscriberFacts(
        created_at=NOW,
        tags=frozenset({"buyer"}),
        fields={"country": "DE"},
        activity=[("clicked", NOW - timedelta(days=3))],
    )
    french = lang.SubscriberFacts(
        created_at=NOW, tags=frozenset({"buyer"}), fields={"country": "FR"}
    )
    with db.session() as session:
        ids = add_people(session, [buyer_de, clicked, french], {})
        tree = lang.parse('tag:buyer and not clicked:30d and field.country = "DE"')
        assert _selected(session, tree, {}) == {ids[0]}


def test_proxy_opens_never_count_as_opens(db: Database) -> None:
    proxy = lang.SubscriberFacts(created_at=NOW, activity=[("opened_proxy", NOW)])
    real = lang.SubscriberFacts(created_at=NOW, activity=[("opened", NOW)])
    with db.session() as session:
        ids = add_people(session, [proxy, real], {})
        assert _selected(session, lang.parse("opened:any"), {}) == {ids[1]}
        assert _selected(session, lang.parse("not opened:30d"), {}) == {ids[0]}


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()])
def test_every_literal_is_a_bound_parameter(dialect: Any) -> None:
    hostile = "x'); DROP TABLE subscribers; --"
    tree = lang.AllOf(
        (
            lang.Tag(hostile),
            lang.Field(hostile.replace("'", "").replace('"', ""), "=", hostile),
            lang.Field("note", "contains", hostile),
            lang.Field("age", ">", lang.parse("field.age > 3").value),  # type: ignore[union-attr]
        )
    )
    where = service.compile_tree(tree, now=NOW, dialect=dialect.name, lists={})
    compiled = select(func.count()).select_from(Subscriber).where(where).compile(dialect=dialect)
    assert "DROP" not in str(compiled)
    assert hostile in compiled.params.values()
