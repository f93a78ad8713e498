"""audience: index list memberships by (subscriber, status), so a segment's `status:…` term
probes one index per subscriber instead of visiting the table three times

Revision ID: 0028
Revises: 0026
Create Date: 2026-12-07 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0028"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("list_members", schema=None) as batch_op:
        batch_op.create_index(
            "ix_list_members_subscriber_status", ["subscriber_id", "status"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("list_members", schema=None) as batch_op:
        batch_op.drop_index("ix_list_members_subscriber_status")
