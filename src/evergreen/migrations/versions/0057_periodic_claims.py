"""periodic tasks once per cluster without Redis: each minute's claim in the shared database

Revision ID: 0057
Revises: 0056
Create Date: 2026-12-06 04:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import evergreen.db

revision: str = "0057"
down_revision: str | None = "0056"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "periodic_claims",
        sa.Column("queue", sa.String(length=64), nullable=False),
        sa.Column("minute", sa.String(length=12), nullable=False),
        sa.Column("claimed_by", sa.String(length=100), nullable=False),
        sa.Column("at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("queue", "minute", name=op.f("pk_periodic_claims")),
    )


def downgrade() -> None:
    op.drop_table("periodic_claims")
