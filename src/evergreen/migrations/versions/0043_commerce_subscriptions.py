"""commerce: subscriptions billed by Evergreen, their MRR events, and renewal orders

Revision ID: 0043
Revises: 0042
Create Date: 2026-12-05 22:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import evergreen.db

revision: str = "0043"
down_revision: str | None = "0042"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str) -> sa.Column[object]:
    return sa.Column(name, evergreen.db.UTCDateTime(timezone=True), nullable=True)


def upgrade() -> None:
    op.create_table(
        "commerce_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checkout_key", sa.String(length=100), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("price_id", sa.Integer(), nullable=True),
        sa.Column("buyer_email", sa.String(length=254), nullable=False),
        sa.Column("buyer_name", sa.String(length=200), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("interval", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("customer", sa.String(length=255), nullable=True),
        sa.Column("payment_method", sa.String(length=255), nullable=True),
        sa.Column("period", sa.Integer(), nullable=False),
        _when("started_at"),
        _when("trial_end"),
        _when("current_period_start"),
        _when("current_period_end"),
        sa.Column("cancel_at_period_end", sa.Boolean(), nullable=False),
        _when("canceled_at"),
        _when("ended_at"),
        sa.Column("end_reason", sa.String(length=12), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        _when("next_attempt_at"),
        _when("grace_until"),
        sa.Column("click_id", sa.String(length=100), nullable=False),
        sa.Column("coupon_code", sa.String(length=40), nullable=False),
        sa.Column("funnel_id", sa.Integer(), nullable=True),
        sa.Column("step_id", sa.Integer(), nullable=True),
        sa.Column("created_at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["price_id"],
            ["commerce_prices.id"],
            name=op.f("fk_commerce_subscriptions_price_id_commerce_prices"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["commerce_products.id"],
            name=op.f("fk_commerce_subscriptions_product_id_commerce_products"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commerce_subscriptions")),
        sa.UniqueConstraint("checkout_key", name=op.f("uq_commerce_subscriptions_checkout_key")),
    )
    op.create_index(
        op.f("ix_commerce_subscriptions_buyer_email"), "commerce_subscriptions", ["buyer_email"]
    )
    op.create_index(
        op.f("ix_commerce_subscriptions_product_id"), "commerce_subscriptions", ["product_id"]
    )
    op.create_index(
        "ix_commerce_subscriptions_status_attempt",
        "commerce_subscriptions",
        ["status", "next_attempt_at"],
    )
    op.create_table(
        "commerce_subscription_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("interval", sa.String(length=10), nullable=False),
        sa.Column("at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["commerce_subscriptions.id"],
            name=op.f("fk_commerce_subscription_events_subscription_id_commerce_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commerce_subscription_events")),
    )
    op.create_index(
        "ix_commerce_subscription_events_kind_at", "commerce_subscription_events", ["kind", "at"]
    )
    op.create_index(
        op.f("ix_commerce_subscription_events_subscription_id"),
        "commerce_subscription_events",
        ["subscription_id"],
    )
    op.create_table(
        "commerce_mrr_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("facts", sa.BigInteger(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("built_at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commerce_mrr_snapshots")),
    )
    with op.batch_alter_table("commerce_orders") as batch:
        batch.add_column(sa.Column("subscription_id", sa.Integer(), nullable=True))
        batch.create_index(
            batch.f("ix_commerce_orders_subscription_id"), ["subscription_id"], unique=False
        )
        batch.create_foreign_key(
            batch.f("fk_commerce_orders_subscription_id_commerce_subscriptions"),
            "commerce_subscriptions", ["subscription_id"], ["id"], ondelete="SET NULL",
        )  # fmt: skip


def downgrade() -> None:
    with op.batch_alter_table("commerce_orders") as batch:
        batch.drop_constraint(
            batch.f("fk_commerce_orders_subscription_id_commerce_subscriptions"), type_="foreignkey"
        )
        batch.drop_index(batch.f("ix_commerce_orders_subscription_id"))
        batch.drop_column("subscription_id")
    op.drop_table("commerce_mrr_snapshots")
    op.drop_table("commerce_subscription_events")
    op.drop_table("commerce_subscriptions")
