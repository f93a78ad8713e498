"""lending: prepayment terms on a loan (minimum interest months, a premium within months)

Revision ID: 0053
Revises: 0052
Create Date: 2026-12-06 02:50:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0053"
down_revision: str | None = "0052"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("lending_loans") as batch:
        batch.add_column(
            sa.Column("min_interest_months", sa.Integer(), server_default="0", nullable=False)
        )
        batch.add_column(
            sa.Column(
                "prepay_pct", sa.Numeric(precision=9, scale=6), server_default="0", nullable=False
            )
        )
        batch.add_column(
            sa.Column("prepay_months", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("lending_loans") as batch:
        batch.drop_column("prepay_months")
        batch.drop_column("prepay_pct")
        batch.drop_column("min_interest_months")
