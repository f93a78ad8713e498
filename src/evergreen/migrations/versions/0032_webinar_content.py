"""webinar content: an uploaded recording, the room's label, offers and the chat script

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-10 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import evergreen.db

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("webinars") as batch:
        batch.add_column(sa.Column("video_file", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("video_type", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("video_bytes", sa.BigInteger(), nullable=True))
        batch.add_column(
            sa.Column("room_label", sa.String(length=200), nullable=False, server_default="")
        )
    with op.batch_alter_table("webinars") as batch:
        batch.alter_column("room_label", server_default=None)
    op.create_table(
        "webinar_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("webinar_id", sa.Integer(), nullable=False),
        sa.Column("at_second", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("button", sa.String(length=100), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("deadline_minutes", sa.Integer(), nullable=True),
        sa.Column("link_id", sa.Integer(), nullable=True),
        sa.Column("link_slug", sa.String(length=64), nullable=True),
        sa.Column("created_at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["webinar_id"],
            ["webinars.id"],
            name=op.f("fk_webinar_offers_webinar_id_webinars"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webinar_offers")),
    )
    op.create_index(op.f("ix_webinar_offers_webinar_id"), "webinar_offers", ["webinar_id"])
    op.create_table(
        "webinar_chat_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("webinar_id", sa.Integer(), nullable=False),
        sa.Column("at_second", sa.Integer(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("asked_on", sa.Date(), nullable=False),
        sa.Column("created_at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["webinar_id"],
            ["webinars.id"],
            name=op.f("fk_webinar_chat_lines_webinar_id_webinars"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webinar_chat_lines")),
    )
    op.create_index(op.f("ix_webinar_chat_lines_webinar_id"), "webinar_chat_lines", ["webinar_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_webinar_chat_lines_webinar_id"), table_name="webinar_chat_lines")
    op.drop_table("webinar_chat_lines")
    op.drop_index(op.f("ix_webinar_offers_webinar_id"), table_name="webinar_offers")
    op.drop_table("webinar_offers")
    with op.batch_alter_table("webinars") as batch:
        batch.drop_column("room_label")
        batch.drop_column("video_bytes")
        batch.drop_column("video_type")
        batch.drop_column("video_file")
