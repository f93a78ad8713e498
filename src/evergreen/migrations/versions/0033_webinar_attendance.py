"""webinar attendance: what each registrant watched, folded from the room's heartbeats

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-04 22:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import evergreen.db

revision: str = "0033"
down_revision: str | None = "0032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webinar_attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("webinar_id", sa.Integer(), nullable=False),
        sa.Column("watched", sa.LargeBinary(), nullable=False),
        sa.Column("live", sa.LargeBinary(), nullable=False),
        sa.Column("watched_seconds", sa.Integer(), nullable=False),
        sa.Column("live_seconds", sa.Integer(), nullable=False),
        sa.Column("max_second", sa.Integer(), nullable=False),
        sa.Column("live_max_second", sa.Integer(), nullable=False),
        sa.Column("first_beat_at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_beat_at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["webinar_registrations.id"],
            name=op.f("fk_webinar_attendance_registration_id_webinar_registrations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["webinar_id"],
            ["webinars.id"],
            name=op.f("fk_webinar_attendance_webinar_id_webinars"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webinar_attendance")),
        sa.UniqueConstraint("registration_id", name=op.f("uq_webinar_attendance_registration_id")),
    )
    op.create_index(op.f("ix_webinar_attendance_webinar_id"), "webinar_attendance", ["webinar_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_webinar_attendance_webinar_id"), table_name="webinar_attendance")
    op.drop_table("webinar_attendance")
