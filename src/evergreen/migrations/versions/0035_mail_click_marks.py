"""mail click marks: how far stored clicks have been folded into subscribers' activity

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-11 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0035"
down_revision: str | None = "0034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mail_click_marks",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("click_row", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_mail_click_marks")),
    )


def downgrade() -> None:
    op.drop_table("mail_click_marks")
