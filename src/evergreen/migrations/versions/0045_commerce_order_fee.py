"""commerce order fee: when an order's payment fee became known

Revision ID: 0045
Revises: 0044
Create Date: 2026-12-05 23:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import evergreen.db

revision: str = "0045"
down_revision: str | None = "0044"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("commerce_orders") as batch:
        batch.add_column(
            sa.Column("fee_known_at", evergreen.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch.create_index(
            batch.f("ix_commerce_orders_fee_known_at"), ["fee_known_at"], unique=False
        )
    # A bank transfer or a free order has no fee: those paid already are known. Stripe's are
    # learned by the next reconciliation (the last 30 days of them).
    op.execute(
        "UPDATE commerce_orders SET fee_known_at = paid_at "
        "WHERE paid_at IS NOT NULL AND (provider = 'manual' OR total_cents <= 0)"
    )


def downgrade() -> None:
    with op.batch_alter_table("commerce_orders") as batch:
        batch.drop_index(batch.f("ix_commerce_orders_fee_known_at"))
        batch.drop_column("fee_known_at")
