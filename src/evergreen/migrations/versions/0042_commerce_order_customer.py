"""commerce: the provider customer an order's payment method is saved on (one-click upsells)

Revision ID: 0042
Revises: 0041
Create Date: 2026-12-05 22:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0042"
down_revision: str | None = "0041"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("commerce_orders") as batch:
        batch.add_column(sa.Column("provider_customer", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("commerce_orders") as batch:
        batch.drop_column("provider_customer")
