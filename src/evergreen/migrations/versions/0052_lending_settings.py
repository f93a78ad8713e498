"""lending: the owner's settings (the capital available for lending, for idle capital)

Revision ID: 0052
Revises: 0051
Create Date: 2026-12-06 02:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import evergreen.db

revision: str = "0052"
down_revision: str | None = "0051"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lending_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("capital_available", sa.Numeric(precision=19, scale=4), nullable=True),
        sa.Column("updated_at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lending_settings")),
    )


def downgrade() -> None:
    op.drop_table("lending_settings")
