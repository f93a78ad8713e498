"""partners conversion extends: the order a one-click upsell's sale adds to, kept on the stored
conversion so that a late attribution decides it as part of that purchase

Revision ID: 0047
Revises: 0046
Create Date: 2026-12-06 01:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0047"
down_revision: str | None = "0046"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # One ADD COLUMN (no table copy on SQLite, however many conversions there are): the rows
    # stored so far extend nothing, and the default stays, as the model declares.
    with op.batch_alter_table("conversions") as batch:
        batch.add_column(
            sa.Column("extends", sa.String(length=200), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("conversions") as batch:
        batch.drop_column("extends")
