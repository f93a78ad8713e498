"""webinar registrations: who registered for which session, and the webinars' public page

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-09 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import evergreen.db

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("webinars") as batch:
        batch.add_column(sa.Column("list_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("slug", sa.String(length=60), nullable=True))
        batch.add_column(sa.Column("consent_wording", sa.Text(), nullable=False, server_default=""))
        batch.create_unique_constraint(op.f("uq_webinars_slug"), ["slug"])
    with op.batch_alter_table("webinars") as batch:
        batch.alter_column("consent_wording", server_default=None)
    op.create_table(
        "webinar_registrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("webinar_id", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("email_key", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("viewer_timezone", sa.String(length=64), nullable=False),
        sa.Column("session_start", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("registered_at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("source", sa.JSON(), nullable=False),
        sa.Column("created_at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["webinar_id"],
            ["webinars.id"],
            name=op.f("fk_webinar_registrations_webinar_id_webinars"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webinar_registrations")),
        sa.UniqueConstraint(
            "webinar_id", "email_key", name=op.f("uq_webinar_registrations_webinar_id")
        ),
    )
    op.create_index(
        "ix_webinar_registrations_session",
        "webinar_registrations",
        ["webinar_id", "session_start"],
    )
    op.create_index(
        op.f("ix_webinar_registrations_subscriber_id"),
        "webinar_registrations",
        ["subscriber_id"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_webinar_registrations_subscriber_id"), table_name="webinar_registrations"
    )
    op.drop_index("ix_webinar_registrations_session", table_name="webinar_registrations")
    op.drop_table("webinar_registrations")
    with op.batch_alter_table("webinars") as batch:
        batch.drop_constraint(op.f("uq_webinars_slug"), type_="unique")
        batch.drop_column("consent_wording")
        batch.drop_column("slug")
        batch.drop_column("list_id")
