"""commerce: the funnel report's daily sales rollup, filled here from the orders already paid
(`evergreen commerce rollups rebuild` does the same at any time)

Revision ID: 0046
Revises: 0045
Create Date: 2026-12-05 23:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0046"
down_revision: str | None = "0045"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "commerce_funnel_sales_daily",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("funnel_id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=False),
        sa.Column("variant", sa.String(length=40), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("orders", sa.BigInteger(), nullable=False),
        sa.Column("net_cents", sa.BigInteger(), nullable=False),
        sa.Column("refunded_cents", sa.BigInteger(), nullable=False),
        sa.Column("fee_cents", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commerce_funnel_sales_daily")),
        sa.UniqueConstraint(
            "funnel_id",
            "step_id",
            "variant",
            "role",
            "currency",
            "day",
            name=op.f("uq_commerce_funnel_sales_daily_funnel_id"),
        ),
    )
    op.create_index(
        "ix_commerce_funnel_sales_daily_funnel_day",
        "commerce_funnel_sales_daily",
        ["funnel_id", "day"],
    )
    # The report reads only the rollup: the funnels' orders paid before this version go in now.
    from sqlalchemy.orm import Session

    from evergreen.commerce.service.rollups import rebuild

    session = Session(bind=op.get_bind(), join_transaction_mode="create_savepoint")
    try:
        rebuild(session)
        session.commit()  # the savepoint; the migration's own transaction commits it all
    finally:
        session.close()


def downgrade() -> None:
    op.drop_index(
        "ix_commerce_funnel_sales_daily_funnel_day", table_name="commerce_funnel_sales_daily"
    )
    op.drop_table("commerce_funnel_sales_daily")
