"""commerce plan changes: coupon durations, a subscription's kept coupon, place, pending
downgrade and period anchor, and products' plan families

Revision ID: 0050
Revises: 0049
Create Date: 2026-12-06 01:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import evergreen.db

revision: str = "0050"
down_revision: str | None = "0049"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("commerce_coupons") as batch:
        batch.add_column(
            sa.Column("duration", sa.String(length=10), nullable=False, server_default="once")
        )
        batch.add_column(sa.Column("duration_periods", sa.Integer(), nullable=True))
    with op.batch_alter_table("commerce_products") as batch:
        batch.add_column(
            sa.Column("plan_family", sa.String(length=60), nullable=False, server_default="")
        )
    with op.batch_alter_table("commerce_subscriptions") as batch:
        batch.add_column(
            sa.Column("coupon_percent_off", sa.Numeric(precision=5, scale=2), nullable=True)
        )
        batch.add_column(sa.Column("coupon_amount_off_cents", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("coupon_periods", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("country", sa.String(length=2), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("region", sa.String(length=60), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("pending_price_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("anchor_at", evergreen.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(
            sa.Column("anchor_period", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("commerce_subscriptions") as batch:
        for name in (
            "anchor_period", "anchor_at", "pending_price_id", "region", "country",
            "coupon_periods", "coupon_amount_off_cents", "coupon_percent_off",
        ):  # fmt: skip
            batch.drop_column(name)
    with op.batch_alter_table("commerce_products") as batch:
        batch.drop_column("plan_family")
    with op.batch_alter_table("commerce_coupons") as batch:
        batch.drop_column("duration_periods")
        batch.drop_column("duration")
