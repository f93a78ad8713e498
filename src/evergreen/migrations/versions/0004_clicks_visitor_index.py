"""clicks: drop the (visitor, at) index; the ingester looks recent clicks up per link

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 23:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_clicks_visitor_at", table_name="clicks")


def downgrade() -> None:
    op.create_index("ix_clicks_visitor_at", "clicks", ["visitor", "at"], unique=False)
