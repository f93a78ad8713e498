"""commerce imports: catalog imports, named price rules and margin floors

Revision ID: 0040
Revises: 0039
Create Date: 2026-12-05 03:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import evergreen.db

revision: str = "0040"
down_revision: str | None = "0039"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "commerce_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("withheld", sa.Integer(), nullable=False),
        sa.Column("paused", sa.Integer(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("paused_items", sa.JSON(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("created_at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commerce_imports")),
    )
    op.create_table(
        "commerce_price_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("ranges", sa.JSON(), nullable=False),
        sa.Column("ending", sa.String(length=10), nullable=True),
        sa.Column("compare_at_factor", sa.String(length=20), nullable=True),
        sa.Column("zone", sa.String(length=32), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("created_at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commerce_price_rules")),
        sa.UniqueConstraint("name", name=op.f("uq_commerce_price_rules_name")),
    )
    op.create_table(
        "commerce_guard",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("percent", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("amount_cents", sa.BigInteger(), nullable=True),
        sa.Column("zone", sa.String(length=32), nullable=False),
        sa.Column("updated_at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commerce_guard")),
        sa.UniqueConstraint("currency", name=op.f("uq_commerce_guard_currency")),
    )


def downgrade() -> None:
    op.drop_table("commerce_guard")
    op.drop_table("commerce_price_rules")
    op.drop_table("commerce_imports")
