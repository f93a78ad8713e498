"""lending: a fee waiver names the fee it waives (the fee's movement), so what is left of each
fee is read from the movements without parsing their keys

Revision ID: 0065
Revises: 0064
Create Date: 2026-12-07 18:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0065"
down_revision: str | None = "0064"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("lending_movements", sa.Column("waives_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("lending_movements", "waives_id")
