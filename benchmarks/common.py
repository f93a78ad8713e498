"""What the database benchmarks share: a fresh migrated database (SQLite in a temp folder or a
new PostgreSQL database on a given server), dropping it again, and the ledger's rollup check.

The scripts run as `python benchmarks/NAME.py`, so this folder is on the path: `from common
import ...`.
"""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from evergreen import migrate
from evergreen.db import Database
from evergreen.ledger.rules import CAPITAL_ASSETS

__all__ = ["drop_database", "fresh_database", "rollups_match"]


def _admin(server: str) -> Engine:
    """An autocommit engine on the server's own database (CREATE/DROP DATABASE need one)."""
    return create_engine(
        make_url(server).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )


def fresh_database(postgres: str | None, folder: Path, prefix: str = "evergreen_bench") -> Database:
    """A migrated, empty database: SQLite in the temp folder, or a new PostgreSQL database
    named `prefix` and the time (its URL is `db.url`)."""
    if postgres is None:
        url = f"sqlite:///{folder / 'bench.db'}"
    else:
        name = f"{prefix}_{int(time.time())}"
        admin = _admin(postgres)
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = (
            make_url(postgres)
            .set(drivername="postgresql+psycopg", database=name)
            .render_as_string(False)
        )
    migrate.upgrade(url)
    return Database(url)


def drop_database(server: str, name: str) -> None:
    """Drop a PostgreSQL database a run made (the server is shared), closing its connections."""
    admin = _admin(server)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def rollups_match(db: Database) -> bool:
    """The ledger's kept daily rollup equals one recomputed from every cleared posting (GROUP BY
    in SQL, in the rollup's integer ten-thousandths; capital is Equity:Capital and the capital
    asset accounts)."""
    recompute = text(
        "SELECT p.stream_id, t.date, p.currency, "
        "SUM(CASE WHEN p.account LIKE 'Income:%' THEN -u ELSE 0 END), "
        "SUM(CASE WHEN p.account LIKE 'Expenses:%' THEN u ELSE 0 END), "
        "SUM(CASE WHEN p.account = 'Equity:Capital' OR p.account LIKE 'Equity:Capital:%' "
        "THEN -u WHEN "
        + " OR ".join(
            f"p.account = '{name}' OR p.account LIKE '{name}:%'" for name in CAPITAL_ASSETS
        )
        + " THEN u ELSE 0 END) "
        "FROM (SELECT *, CAST(ROUND(amount * 10000) AS BIGINT) AS u FROM ledger_postings) p "
        "JOIN ledger_transactions t ON t.id = p.transaction_id "
        "WHERE p.stream_id IS NOT NULL AND t.flag = '*' GROUP BY p.stream_id, t.date, p.currency"
    )
    with db.engine.connect() as conn:
        expected = {
            (r[0], str(r[1]), r[2]): tuple(int(v) for v in r[3:])
            for r in conn.execute(recompute)
            if any(r[3:])
        }
        kept = {
            (r[0], str(r[1]), r[2]): tuple(int(v) for v in r[3:])
            for r in conn.execute(
                text(
                    "SELECT stream_id, day, currency, income_units, costs_units, capital_units "
                    "FROM ledger_daily"
                )
            )
            if any(r[3:])
        }
    return expected == kept
