"""commerce delivery: grants, downloads, license keys and activations; products' delivery settings

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-05 04:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import evergreen.db

revision: str = "0039"
down_revision: str | None = "0038"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SETTINGS = ("download_limit", "link_hours", "license_activations")


def _fk(table: str, column: str, target: str, ondelete: str | None) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    with op.batch_alter_table("commerce_products") as batch:
        for column in _SETTINGS:
            batch.add_column(sa.Column(column, sa.Integer(), nullable=True))
    op.create_table(
        "commerce_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("revoked_reason", sa.String(length=500), nullable=False),
        sa.Column("granted_at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", evergreen.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("downloads", sa.Integer(), nullable=False),
        sa.Column("download_limit", sa.Integer(), nullable=True),
        _fk("commerce_grants", "product_id", "commerce_products", None),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commerce_grants")),
        sa.UniqueConstraint("product_id", "source", name=op.f("uq_commerce_grants_product_id")),
    )
    for column in ("product_id", "email", "source"):
        op.create_index(op.f(f"ix_commerce_grants_{column}"), "commerce_grants", [column])
    op.create_table(
        "commerce_downloads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=True),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ip_hash", sa.String(length=64), nullable=False),
        _fk("commerce_downloads", "grant_id", "commerce_grants", "CASCADE"),
        _fk("commerce_downloads", "file_id", "commerce_files", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commerce_downloads")),
    )
    op.create_index(op.f("ix_commerce_downloads_grant_id"), "commerce_downloads", ["grant_id"])
    op.create_table(
        "commerce_licenses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=23), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("activation_limit", sa.Integer(), nullable=False),
        sa.Column("created_at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        _fk("commerce_licenses", "grant_id", "commerce_grants", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commerce_licenses")),
        sa.UniqueConstraint("grant_id", name=op.f("uq_commerce_licenses_grant_id")),
        sa.UniqueConstraint("key", name=op.f("uq_commerce_licenses_key")),
    )
    op.create_table(
        "commerce_license_activations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("license_id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.String(length=32), nullable=False),
        sa.Column("instance_name", sa.String(length=200), nullable=False),
        sa.Column("activated_at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        _fk("commerce_license_activations", "license_id", "commerce_licenses", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commerce_license_activations")),
        sa.UniqueConstraint(
            "instance_id", name=op.f("uq_commerce_license_activations_instance_id")
        ),
        sa.UniqueConstraint(
            "license_id", "instance_name", name=op.f("uq_commerce_license_activations_license_id")
        ),
    )
    op.create_index(
        op.f("ix_commerce_license_activations_license_id"),
        "commerce_license_activations",
        ["license_id"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_commerce_license_activations_license_id"),
        table_name="commerce_license_activations",
    )
    op.drop_table("commerce_license_activations")
    op.drop_table("commerce_licenses")
    op.drop_index(op.f("ix_commerce_downloads_grant_id"), table_name="commerce_downloads")
    op.drop_table("commerce_downloads")
    for column in ("source", "email", "product_id"):
        op.drop_index(op.f(f"ix_commerce_grants_{column}"), table_name="commerce_grants")
    op.drop_table("commerce_grants")
    with op.batch_alter_table("commerce_products") as batch:
        for column in reversed(_SETTINGS):
            batch.drop_column(column)
