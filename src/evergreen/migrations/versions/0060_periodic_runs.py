"""each run of a periodic task recorded: which minute, which process, how it ended

Revision ID: 0060
Revises: 0059
Create Date: 2026-12-06 05:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import evergreen.db

revision: str = "0060"
down_revision: str | None = "0059"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "periodic_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task", sa.String(length=200), nullable=False),
        sa.Column("minute", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("process", sa.String(length=100), nullable=False),
        sa.Column("started_at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_periodic_runs")),
    )
    op.create_index(
        op.f("ix_periodic_runs_started_at"), "periodic_runs", ["started_at"], unique=False
    )
    op.create_index("ix_periodic_runs_task_minute", "periodic_runs", ["task", "minute"])


def downgrade() -> None:
    op.drop_index("ix_periodic_runs_task_minute", table_name="periodic_runs")
    op.drop_index(op.f("ix_periodic_runs_started_at"), table_name="periodic_runs")
    op.drop_table("periodic_runs")
