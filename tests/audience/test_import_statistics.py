"""A big import on PostgreSQL refreshes the planner's statistics of subscribers and list
members, which segments, counts and senders read next: until autovacuum catches up (or on a
server without it) the planner guesses one row, and chose joins that walk the whole list."""

from __future__ import annotations

import io

import pytest

from evergreen.audience import service
from evergreen.db import ANALYZE_FROM, Database
from tests.pg_stats import analyze_counts

pytestmark = pytest.mark.postgres

SECRET = "test-secret-for-import-statistics-0123456789"
TABLES = ("subscribers", "list_members")


def _import(db: Database, people: int) -> int:
    csv = "email,name\n" + "".join(f"p{i}@example.org,P {i}\n" for i in range(people))
    with db.session() as session:
        list_id = service.create_list(session, "Big", double_opt_in=False).id
        result = service.run_import(session, SECRET, io.BytesIO(csv.encode()), list_id)
    return result.rows


def test_a_big_import_gives_the_planner_its_sizes(pg: Database) -> None:
    before = analyze_counts(pg, TABLES)
    assert _import(pg, ANALYZE_FROM) == ANALYZE_FROM
    after = analyze_counts(pg, TABLES)
    assert {name: after[name] - before[name] for name in TABLES} == dict.fromkeys(TABLES, 1)


def test_a_small_import_leaves_the_statistics_to_autovacuum(pg: Database) -> None:
    before = analyze_counts(pg, TABLES)
    assert _import(pg, 20) == 20
    assert analyze_counts(pg, TABLES) == before
