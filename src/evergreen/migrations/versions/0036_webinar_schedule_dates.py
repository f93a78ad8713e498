"""webinar schedule dates: the stored spec grows to 2000 characters (dates: lists up to 100)

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-12 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0036"
down_revision: str | None = "0035"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("webinars") as batch:
        batch.alter_column(
            "schedule",
            existing_type=sa.String(length=500),
            type_=sa.String(length=2000),
            existing_nullable=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("webinars") as batch:
        batch.alter_column(
            "schedule",
            existing_type=sa.String(length=2000),
            type_=sa.String(length=500),
            existing_nullable=False,
        )
