"""How many times PostgreSQL analyzed tables (by hand or by autovacuum): the tests of bulk
writes that refresh the planner's statistics read it before and after."""

from __future__ import annotations

from sqlalchemy import bindparam, text

from evergreen.db import Database


def analyze_counts(db: Database, tables: tuple[str, ...]) -> dict[str, int]:
    """Each table's analyze count (PostgreSQL updates it as an ANALYZE ends)."""
    with db.session(writer=False) as session:
        found = session.execute(
            text(
                "SELECT relname, analyze_count + autoanalyze_count FROM pg_stat_user_tables "
                "WHERE relname IN :names"
            ).bindparams(bindparam("names", tables, expanding=True))
        )
        return {name: int(count) for name, count in found}
