"""commerce products: products, prices, files, bundle items and tax rates

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-04 23:45:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import evergreen.db

revision: str = "0037"
down_revision: str | None = "0036"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _product_fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        ["commerce_products.id"],
        name=op.f(f"fk_{table}_{column}_commerce_products"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "commerce_products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_reason", sa.String(length=500), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("supplier_name", sa.String(length=200), nullable=False),
        sa.Column("supplier_sku", sa.String(length=100), nullable=False),
        sa.Column("supplier_currency", sa.String(length=3), nullable=True),
        sa.Column("supplier_cost_cents", sa.BigInteger(), nullable=True),
        sa.Column("shipping_cents", sa.JSON(), nullable=False),
        sa.Column("processing_days", sa.Integer(), nullable=True),
        sa.Column("created_at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commerce_products")),
        sa.UniqueConstraint("name", name=op.f("uq_commerce_products_name")),
        sa.UniqueConstraint("slug", name=op.f("uq_commerce_products_slug")),
    )
    op.create_table(
        "commerce_prices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("compare_at_cents", sa.BigInteger(), nullable=True),
        sa.Column("interval", sa.String(length=10), nullable=True),
        sa.Column("trial_days", sa.Integer(), nullable=False),
        sa.Column("created_at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        _product_fk("commerce_prices", "product_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commerce_prices")),
        sa.UniqueConstraint("product_id", "currency", name=op.f("uq_commerce_prices_product_id")),
    )
    op.create_index(op.f("ix_commerce_prices_product_id"), "commerce_prices", ["product_id"])
    op.create_table(
        "commerce_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("created_at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        _product_fk("commerce_files", "product_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commerce_files")),
        sa.UniqueConstraint("product_id", "name", name=op.f("uq_commerce_files_product_id")),
    )
    op.create_index(op.f("ix_commerce_files_product_id"), "commerce_files", ["product_id"])
    op.create_table(
        "commerce_bundle_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bundle_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        _product_fk("commerce_bundle_items", "bundle_id"),
        _product_fk("commerce_bundle_items", "product_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commerce_bundle_items")),
        sa.UniqueConstraint(
            "bundle_id", "product_id", name=op.f("uq_commerce_bundle_items_bundle_id")
        ),
    )
    op.create_index(
        op.f("ix_commerce_bundle_items_bundle_id"), "commerce_bundle_items", ["bundle_id"]
    )
    op.create_index(
        op.f("ix_commerce_bundle_items_product_id"), "commerce_bundle_items", ["product_id"]
    )
    op.create_table(
        "commerce_tax_rates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("region", sa.String(length=60), nullable=False),
        sa.Column("percent", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column("inclusive", sa.Boolean(), nullable=False),
        sa.Column("created_at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commerce_tax_rates")),
        sa.UniqueConstraint("country", "region", name=op.f("uq_commerce_tax_rates_country")),
    )


def downgrade() -> None:
    op.drop_table("commerce_tax_rates")
    op.drop_index(op.f("ix_commerce_bundle_items_product_id"), table_name="commerce_bundle_items")
    op.drop_index(op.f("ix_commerce_bundle_items_bundle_id"), table_name="commerce_bundle_items")
    op.drop_table("commerce_bundle_items")
    op.drop_index(op.f("ix_commerce_files_product_id"), table_name="commerce_files")
    op.drop_table("commerce_files")
    op.drop_index(op.f("ix_commerce_prices_product_id"), table_name="commerce_prices")
    op.drop_table("commerce_prices")
    op.drop_table("commerce_products")
