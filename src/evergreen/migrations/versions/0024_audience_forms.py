"""audience forms: public sign-up forms and the per-client rate limit's attempts

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import evergreen.db

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audience_forms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("list_ids", sa.JSON(), nullable=False),
        sa.Column("heading", sa.String(length=200), nullable=False),
        sa.Column("intro", sa.Text(), nullable=False),
        sa.Column("wording", sa.Text(), nullable=False),
        sa.Column("ask_name", sa.Boolean(), nullable=False),
        sa.Column("field_names", sa.JSON(), nullable=False),
        sa.Column("button", sa.String(length=60), nullable=False),
        sa.Column("thank_you", sa.Text(), nullable=False),
        sa.Column("redirect_url", sa.String(length=2048), nullable=True),
        sa.Column("allowed_origins", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("submissions", sa.Integer(), nullable=False),
        sa.Column("created_at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audience_forms")),
        sa.UniqueConstraint("slug", name=op.f("uq_audience_forms_slug")),
    )
    op.create_table(
        "audience_form_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_hash", sa.String(length=64), nullable=False),
        sa.Column("at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audience_form_attempts")),
    )
    op.create_index(
        "ix_audience_form_attempts_client_at",
        "audience_form_attempts",
        ["client_hash", "at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_audience_form_attempts_at"), "audience_form_attempts", ["at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_audience_form_attempts_at"), table_name="audience_form_attempts")
    op.drop_index("ix_audience_form_attempts_client_at", table_name="audience_form_attempts")
    op.drop_table("audience_form_attempts")
    op.drop_table("audience_forms")
