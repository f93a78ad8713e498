"""lending: a draw request carries its caller's key (a form's nonce, an API retry's key),
unique per loan, so a request sent twice is one draw

A unique index rather than a constraint: SQLite adds it in place, where a constraint would
rebuild the table (and drop the primary key's name that migration 0063 kept).

Revision ID: 0066
Revises: 0065
Create Date: 2026-12-07 22:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0066"
down_revision: str | None = "0065"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("lending_draws", sa.Column("request_key", sa.String(length=150), nullable=True))
    op.create_index(
        "uq_lending_draws_request_key", "lending_draws", ["loan_id", "request_key"], unique=True
    )


def downgrade() -> None:
    op.drop_index("uq_lending_draws_request_key", table_name="lending_draws")
    op.drop_column("lending_draws", "request_key")
