"""lending: movements indexed by day, kind and amount, so the book's cash flows per day (its
XIRR) and the loans moved after a day are read from the index instead of a sort of every row

Revision ID: 0058
Revises: 0057
Create Date: 2026-12-06 04:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0058"
down_revision: str | None = "0057"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_lending_movements_on_kind_amount", "lending_movements", ["on", "kind", "amount"]
    )


def downgrade() -> None:
    op.drop_index("ix_lending_movements_on_kind_amount", table_name="lending_movements")
