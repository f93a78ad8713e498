"""lending portal: borrowers' invitation nonce, photos sent with draw requests

Revision ID: 0051
Revises: 0050
Create Date: 2026-12-06 02:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import evergreen.db

revision: str = "0051"
down_revision: str | None = "0050"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("lending_borrowers") as batch:
        batch.add_column(sa.Column("invite_nonce", sa.String(length=32), nullable=True))
    op.create_table(
        "lending_draw_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draw_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("media_type", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["draw_id"],
            ["lending_draws.id"],
            name=op.f("fk_lending_draw_photos_draw_id_lending_draws"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lending_draw_photos")),
    )
    op.create_index(
        op.f("ix_lending_draw_photos_draw_id"), "lending_draw_photos", ["draw_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_lending_draw_photos_draw_id"), table_name="lending_draw_photos")
    op.drop_table("lending_draw_photos")
    with op.batch_alter_table("lending_borrowers") as batch:
        batch.drop_column("invite_nonce")
