"""lending: borrowers' documents (ID, operating agreement, insurance, appraisal, title, other)

Revision ID: 0056
Revises: 0055
Create Date: 2026-12-06 03:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import evergreen.db

revision: str = "0056"
down_revision: str | None = "0055"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lending_borrower_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("borrower_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("media_type", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["borrower_id"],
            ["lending_borrowers.id"],
            name=op.f("fk_lending_borrower_documents_borrower_id_lending_borrowers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lending_borrower_documents")),
    )
    op.create_index(
        op.f("ix_lending_borrower_documents_borrower_id"),
        "lending_borrower_documents",
        ["borrower_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_lending_borrower_documents_borrower_id"), table_name="lending_borrower_documents"
    )
    op.drop_table("lending_borrower_documents")
