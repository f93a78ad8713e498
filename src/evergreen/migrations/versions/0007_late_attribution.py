"""conversions: who attributed one after the fact, and when; unattributed conversions and
unmatched earnings found by age (retried when their click lands)

Revision ID: 0007
Revises: 0005
Create Date: 2026-11-26 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import evergreen.db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("attributed_by", sa.String(length=254), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("attributed_at", evergreen.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            "ix_conversions_status_received", ["status", "received_at"], unique=False
        )
    with op.batch_alter_table("earnings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_earnings_matched_created", ["matched", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("earnings", schema=None) as batch_op:
        batch_op.drop_index("ix_earnings_matched_created")
    with op.batch_alter_table("conversions", schema=None) as batch_op:
        batch_op.drop_index("ix_conversions_status_received")
        batch_op.drop_column("attributed_at")
        batch_op.drop_column("attributed_by")
