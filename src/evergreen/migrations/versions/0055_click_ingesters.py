"""clicks decided the same whatever the number of ingesters: the ingesters' heartbeats and a
(link, visitor, at) index for reading one visitor's recent clicks on a link

Revision ID: 0055
Revises: 0054
Create Date: 2026-12-06 02:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import evergreen.db

revision: str = "0055"
down_revision: str | None = "0054"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "click_ingesters",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("seen_at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_click_ingesters")),
    )
    op.create_index(
        "ix_clicks_link_visitor_at", "clicks", ["link_id", "visitor", "at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_clicks_link_visitor_at", table_name="clicks")
    op.drop_table("click_ingesters")
