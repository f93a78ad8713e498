"""Queueing a big broadcast on PostgreSQL refreshes the planner's statistics of the tables the
senders read batch by batch. A list imported a moment ago (or a server without autovacuum) left
the planner estimating one row, and it found each batch's recipients by walking every member of
the list (~0.1 s a batch at 20,000 people, benchmarks/send.py --database)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from evergreen.audience import service as audience
from evergreen.db import ANALYZE_FROM, Database, utcnow
from evergreen.mail import service
from evergreen.mail.service import Draft
from tests.pg_stats import analyze_counts

pytestmark = pytest.mark.postgres

TABLES = ("subscribers", "list_members", "mail_sends")


def _list_of(db: Database, people: int) -> int:
    """A list with `people` subscribed members, written as an import writes them: in bulk."""
    now = utcnow()
    with db.session() as session:
        list_id = audience.create_list(session, "Big", double_opt_in=False).id
        rows = [
            {"i": i, "e": f"p{i}@example.org", "l": list_id, "now": now}
            for i in range(1, people + 1)
        ]
        session.execute(
            text(
                "INSERT INTO subscribers (id, email, email_key, name, fields, source, "
                "soft_bounces, created_at, updated_at) VALUES (:i, :e, :e, '', '{}', 'import', "
                "0, :now, :now)"
            ),
            rows,
        )
        session.execute(
            text(
                "INSERT INTO list_members (subscriber_id, list_id, status, created_at, "
                "updated_at) VALUES (:i, :l, 'subscribed', :now, :now)"
            ),
            rows,
        )
    return list_id


def _send(db: Database, list_id: int) -> int:
    with db.session() as session:
        row = service.create_broadcast(session, Draft("Hi", "Hello", list_id))
        return service.act(session, row.id, "send").recipients


def test_queueing_a_big_broadcast_gives_the_planner_its_sizes(pg: Database) -> None:
    list_id = _list_of(pg, ANALYZE_FROM)
    before = analyze_counts(pg, TABLES)
    assert _send(pg, list_id) == ANALYZE_FROM
    after = analyze_counts(pg, TABLES)
    assert {name: after[name] - before[name] for name in TABLES} == dict.fromkeys(TABLES, 1)


def test_a_small_broadcast_leaves_the_statistics_to_autovacuum(pg: Database) -> None:
    list_id = _list_of(pg, 50)
    before = analyze_counts(pg, TABLES)
    assert _send(pg, list_id) == 50
    assert analyze_counts(pg, TABLES) == before  # the planner's guess is harmless at this size
