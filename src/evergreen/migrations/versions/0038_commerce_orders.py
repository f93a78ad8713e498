"""commerce orders: orders and lines, the payment-event inbox, coupons, and a product's order bump

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-05 03:34:47.502358
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import evergreen.db

revision: str = "0038"
down_revision: str | None = "0037"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "commerce_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("subtotal_cents", sa.BigInteger(), nullable=False),
        sa.Column("discount_cents", sa.BigInteger(), nullable=False),
        sa.Column("tax_cents", sa.BigInteger(), nullable=False),
        sa.Column("total_cents", sa.BigInteger(), nullable=False),
        sa.Column("refunded_cents", sa.BigInteger(), nullable=False),
        sa.Column("fee_cents", sa.BigInteger(), nullable=False),
        sa.Column("buyer_email", sa.String(length=254), nullable=False),
        sa.Column("buyer_name", sa.String(length=200), nullable=False),
        sa.Column("buyer_country", sa.String(length=2), nullable=False),
        sa.Column("buyer_region", sa.String(length=60), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("payment_id", sa.String(length=255), nullable=True),
        sa.Column("checkout_key", sa.String(length=100), nullable=False),
        sa.Column("coupon_code", sa.String(length=40), nullable=False),
        sa.Column("click_id", sa.String(length=100), nullable=False),
        sa.Column("funnel_id", sa.Integer(), nullable=True),
        sa.Column("step_id", sa.Integer(), nullable=True),
        sa.Column("variant", sa.String(length=40), nullable=True),
        sa.Column("parent_order_id", sa.Integer(), nullable=True),
        sa.Column("created_at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("paid_at", evergreen.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("refunded_at", evergreen.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["parent_order_id"],
            ["commerce_orders.id"],
            name=op.f("fk_commerce_orders_parent_order_id_commerce_orders"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commerce_orders")),
        sa.UniqueConstraint("checkout_key", name=op.f("uq_commerce_orders_checkout_key")),
        sa.UniqueConstraint("number", name=op.f("uq_commerce_orders_number")),
        sa.UniqueConstraint("provider", "payment_id", name=op.f("uq_commerce_orders_provider")),
    )
    with op.batch_alter_table("commerce_orders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_commerce_orders_status_created_at", ["status", "created_at"], unique=False
        )

    op.create_table(
        "commerce_payment_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("payment_id", sa.String(length=255), nullable=True),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("received_at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commerce_payment_events")),
        sa.UniqueConstraint(
            "provider", "event_id", name=op.f("uq_commerce_payment_events_provider")
        ),
    )
    with op.batch_alter_table("commerce_payment_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_commerce_payment_events_payment_id"), ["payment_id"], unique=False
        )

    op.create_table(
        "commerce_coupons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("percent_off", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("amount_off_cents", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("expires_at", evergreen.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("max_redemptions", sa.Integer(), nullable=True),
        sa.Column("redemptions", sa.Integer(), nullable=False),
        sa.Column("created_at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["commerce_products.id"],
            name=op.f("fk_commerce_coupons_product_id_commerce_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commerce_coupons")),
        sa.UniqueConstraint("code", name=op.f("uq_commerce_coupons_code")),
    )
    op.create_table(
        "commerce_order_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("product_name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_cents", sa.BigInteger(), nullable=False),
        sa.Column("discount_cents", sa.BigInteger(), nullable=False),
        sa.Column("tax_cents", sa.BigInteger(), nullable=False),
        sa.Column("total_cents", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["commerce_orders.id"],
            name=op.f("fk_commerce_order_lines_order_id_commerce_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["commerce_products.id"],
            name=op.f("fk_commerce_order_lines_product_id_commerce_products"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commerce_order_lines")),
    )
    with op.batch_alter_table("commerce_order_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_commerce_order_lines_order_id"), ["order_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_commerce_order_lines_product_id"), ["product_id"], unique=False
        )

    with op.batch_alter_table("commerce_products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bump_product_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("bump_headline", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_commerce_products_bump_product_id_commerce_products"),
            "commerce_products",
            ["bump_product_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("commerce_products", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_commerce_products_bump_product_id_commerce_products"), type_="foreignkey"
        )
        batch_op.drop_column("bump_headline")
        batch_op.drop_column("bump_product_id")

    with op.batch_alter_table("commerce_order_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commerce_order_lines_product_id"))
        batch_op.drop_index(batch_op.f("ix_commerce_order_lines_order_id"))

    op.drop_table("commerce_order_lines")
    op.drop_table("commerce_coupons")
    with op.batch_alter_table("commerce_payment_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commerce_payment_events_payment_id"))

    op.drop_table("commerce_payment_events")
    with op.batch_alter_table("commerce_orders", schema=None) as batch_op:
        batch_op.drop_index("ix_commerce_orders_status_created_at")

    op.drop_table("commerce_orders")
