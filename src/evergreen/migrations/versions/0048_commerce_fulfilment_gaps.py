"""commerce: refunds stop supplier orders (cancelled / cancel requested, when stopped and when
the supplier was told), quantities of a bundle's items, and the owner's exchange rates

Revision ID: 0048
Revises: 0047
Create Date: 2026-12-06 01:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import evergreen.db

revision: str = "0048"
down_revision: str | None = "0047"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "commerce_exchange_rates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("base", sa.String(length=3), nullable=False),
        sa.Column("quote", sa.String(length=3), nullable=False),
        sa.Column("rate", sa.Numeric(precision=18, scale=8), nullable=False),
        sa.Column("updated_at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commerce_exchange_rates")),
        sa.UniqueConstraint("base", "quote", name=op.f("uq_commerce_exchange_rates_base")),
    )
    with op.batch_alter_table("commerce_supplier_orders", schema=None) as batch_op:
        batch_op.alter_column(
            "status",
            existing_type=sa.String(length=10),
            type_=sa.String(length=20),
            existing_nullable=False,
        )
        batch_op.add_column(
            sa.Column("stopped_at", evergreen.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("cancel_sent_at", evergreen.db.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("commerce_bundle_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("quantity", sa.Integer(), server_default="1", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("commerce_bundle_items", schema=None) as batch_op:
        batch_op.drop_column("quantity")
    with op.batch_alter_table("commerce_supplier_orders", schema=None) as batch_op:
        batch_op.drop_column("cancel_sent_at")
        batch_op.drop_column("stopped_at")
        batch_op.alter_column(
            "status",
            existing_type=sa.String(length=20),
            type_=sa.String(length=10),
            existing_nullable=False,
        )
    op.drop_table("commerce_exchange_rates")
