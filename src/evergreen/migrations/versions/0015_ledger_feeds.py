"""ledger feeds: automatic postings per source event; links, networks and programs in a stream

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 16:27:10
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import evergreen.db

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_IN_A_STREAM = ("links", "networks", "programs")


def _add_stream_id(table: str) -> None:
    """A nullable stream_id referencing streams (ON DELETE SET NULL)."""
    name = f"fk_{table}_stream_id_streams"
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.add_column(table, sa.Column("stream_id", sa.Integer(), nullable=True))
        op.create_foreign_key(name, table, "streams", ["stream_id"], ["id"], ondelete="SET NULL")
        return
    # Batch mode would rebuild the table for a new foreign key, and rebuilding deletes the rows
    # that reference it (clicks, earnings, partners: foreign keys are on). The column is added
    # in place and the constraint, on a column that is NULL in every row, written into the
    # table's CREATE statement: SQLite's documented procedure for schema changes that leave
    # the stored data as it is (sqlite.org/lang_altertable.html, section 7), as 0005 does.
    bind.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN stream_id INTEGER")
    sql = bind.execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :t"), {"t": table}
    ).scalar_one()
    body = str(sql).rstrip()
    assert body.endswith(")"), body[-40:]
    constraint = (
        f", \n\tCONSTRAINT {name} FOREIGN KEY(stream_id) REFERENCES streams (id) "
        "ON DELETE SET NULL\n)"
    )
    version = int(bind.exec_driver_sql("PRAGMA schema_version").scalar_one())
    bind.exec_driver_sql("PRAGMA writable_schema=ON")
    bind.execute(
        sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = :t"),
        {"sql": body[:-1].rstrip() + constraint, "t": table},
    )
    bind.exec_driver_sql(f"PRAGMA schema_version={version + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema=OFF")


def upgrade() -> None:
    """Add ledger_feeds and the stream of links, networks and programs."""
    op.create_table(
        "ledger_feeds",
        sa.Column("origin", sa.String(length=200), nullable=False),
        sa.Column("scope", sa.String(length=100), nullable=False),
        sa.Column("stream_id", sa.Integer(), nullable=True),
        sa.Column("transaction_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("amount", sa.Numeric(precision=19, scale=4), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("posted_on", sa.Date(), nullable=True),
        sa.Column("posted", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("updated_at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["stream_id"], ["streams.id"], name=op.f("fk_ledger_feeds_stream_id_streams"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"], ["ledger_transactions.id"],
            name=op.f("fk_ledger_feeds_transaction_id_ledger_transactions"),
        ),
        sa.PrimaryKeyConstraint("origin", name=op.f("pk_ledger_feeds")),
    )  # fmt: skip
    op.create_index(op.f("ix_ledger_feeds_scope"), "ledger_feeds", ["scope"], unique=False)
    for table in _IN_A_STREAM:
        _add_stream_id(table)


def downgrade() -> None:
    """Drop them again (SQLite 3.35+ drops a column in place)."""
    for table in reversed(_IN_A_STREAM):
        if op.get_bind().dialect.name != "sqlite":
            op.drop_constraint(f"fk_{table}_stream_id_streams", table, type_="foreignkey")
        op.drop_column(table, "stream_id")
    op.drop_index(op.f("ix_ledger_feeds_scope"), table_name="ledger_feeds")
    op.drop_table("ledger_feeds")
