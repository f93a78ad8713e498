"""transactional mail: forgotten-password requests (rate limit) and payout notices

Revision ID: 0026
Revises: 0025 (written before 0025 reached main; re-chained at merge)
Create Date: 2026-12-04 19:27:14.974292
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import evergreen.db

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reset_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reset_requests")),
    )
    with op.batch_alter_table("reset_requests", schema=None) as batch_op:
        batch_op.create_index("ix_reset_requests_key_at", ["key", "at"], unique=False)

    op.create_table(
        "payout_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payout_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", evergreen.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", evergreen.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("problem", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_payout_notices_partner_id_partners"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["payout_id"],
            ["payouts.id"],
            name=op.f("fk_payout_notices_payout_id_payouts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payout_notices")),
        sa.UniqueConstraint("payout_id", "partner_id", name=op.f("uq_payout_notices_payout_id")),
    )
    with op.batch_alter_table("payout_notices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payout_notices_partner_id"), ["partner_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_payout_notices_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("payout_notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payout_notices_status"))
        batch_op.drop_index(batch_op.f("ix_payout_notices_partner_id"))

    op.drop_table("payout_notices")
    with op.batch_alter_table("reset_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_reset_requests_key_at")

    op.drop_table("reset_requests")
