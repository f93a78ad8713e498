"""commerce fulfilment: suppliers, supplier orders, order addresses, product fulfilment,
service engagements and their tasks

Revision ID: 0044
Revises: 0043
Create Date: 2026-12-05 22:02:08.115272
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import evergreen.db

revision: str = "0044"
down_revision: str | None = "0043"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "commerce_suppliers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("webhook_url", sa.String(length=2000), nullable=False),
        sa.Column("webhook_secret", sa.String(length=100), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("created_at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commerce_suppliers")),
        sa.UniqueConstraint("name", name=op.f("uq_commerce_suppliers_name")),
    )
    op.create_table(
        "commerce_engagements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("buyer_email", sa.String(length=254), nullable=False),
        sa.Column("buyer_name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("answered_at", evergreen.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", evergreen.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["commerce_orders.id"],
            name=op.f("fk_commerce_engagements_order_id_commerce_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["commerce_products.id"],
            name=op.f("fk_commerce_engagements_product_id_commerce_products"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commerce_engagements")),
        sa.UniqueConstraint(
            "order_id", "product_id", name=op.f("uq_commerce_engagements_order_id")
        ),
    )
    with op.batch_alter_table("commerce_engagements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_commerce_engagements_order_id"), ["order_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_commerce_engagements_product_id"), ["product_id"], unique=False
        )

    op.create_table(
        "commerce_order_addresses",
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("line1", sa.String(length=200), nullable=False),
        sa.Column("line2", sa.String(length=200), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("postal_code", sa.String(length=20), nullable=False),
        sa.Column("region", sa.String(length=60), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("shipping_cents", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["commerce_orders.id"],
            name=op.f("fk_commerce_order_addresses_order_id_commerce_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_commerce_order_addresses")),
    )
    op.create_table(
        "commerce_product_fulfilment",
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=True),
        sa.Column("intake_questions", sa.JSON(), nullable=False),
        sa.Column("task_titles", sa.JSON(), nullable=False),
        sa.Column("delivery_days", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["commerce_products.id"],
            name=op.f("fk_commerce_product_fulfilment_product_id_commerce_products"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["commerce_suppliers.id"],
            name=op.f("fk_commerce_product_fulfilment_supplier_id_commerce_suppliers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("product_id", name=op.f("pk_commerce_product_fulfilment")),
    )
    with op.batch_alter_table("commerce_product_fulfilment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_commerce_product_fulfilment_supplier_id"), ["supplier_id"], unique=False
        )

    op.create_table(
        "commerce_supplier_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("ship_to", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", evergreen.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.Column("tracking_number", sa.String(length=100), nullable=False),
        sa.Column("carrier", sa.String(length=100), nullable=False),
        sa.Column("tracking_url", sa.String(length=2000), nullable=False),
        sa.Column("created_at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", evergreen.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("shipped_at", evergreen.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["commerce_orders.id"],
            name=op.f("fk_commerce_supplier_orders_order_id_commerce_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["commerce_suppliers.id"],
            name=op.f("fk_commerce_supplier_orders_supplier_id_commerce_suppliers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commerce_supplier_orders")),
        sa.UniqueConstraint(
            "order_id", "supplier_id", name=op.f("uq_commerce_supplier_orders_order_id")
        ),
    )
    with op.batch_alter_table("commerce_supplier_orders", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_commerce_supplier_orders_order_id"), ["order_id"], unique=False
        )
        batch_op.create_index(
            "ix_commerce_supplier_orders_status_next", ["status", "next_attempt_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_commerce_supplier_orders_supplier_id"), ["supplier_id"], unique=False
        )

    op.create_table(
        "commerce_engagement_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("done_at", evergreen.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["users.id"],
            name=op.f("fk_commerce_engagement_tasks_assignee_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["engagement_id"],
            ["commerce_engagements.id"],
            name=op.f("fk_commerce_engagement_tasks_engagement_id_commerce_engagements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commerce_engagement_tasks")),
    )
    with op.batch_alter_table("commerce_engagement_tasks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_commerce_engagement_tasks_engagement_id"),
            ["engagement_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("commerce_engagement_tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commerce_engagement_tasks_engagement_id"))

    op.drop_table("commerce_engagement_tasks")
    with op.batch_alter_table("commerce_supplier_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commerce_supplier_orders_supplier_id"))
        batch_op.drop_index("ix_commerce_supplier_orders_status_next")
        batch_op.drop_index(batch_op.f("ix_commerce_supplier_orders_order_id"))

    op.drop_table("commerce_supplier_orders")
    with op.batch_alter_table("commerce_product_fulfilment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commerce_product_fulfilment_supplier_id"))

    op.drop_table("commerce_product_fulfilment")
    op.drop_table("commerce_order_addresses")
    with op.batch_alter_table("commerce_engagements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commerce_engagements_product_id"))
        batch_op.drop_index(batch_op.f("ix_commerce_engagements_order_id"))

    op.drop_table("commerce_engagements")
    op.drop_table("commerce_suppliers")
