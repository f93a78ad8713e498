"""mail broadcast segments: a broadcast narrowed to a saved segment of its list

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("mail_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("segment_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_mail_messages_segment_id_audience_segments"),
            "audience_segments",
            ["segment_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("mail_messages", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_mail_messages_segment_id_audience_segments"), type_="foreignkey"
        )
        batch_op.drop_column("segment_id")
