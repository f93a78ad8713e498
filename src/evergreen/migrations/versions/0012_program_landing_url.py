"""partners: the program's landing page (new partners' referral links); released holds cleared

Revision ID: 0012
Revises: 0005
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A released commission went back to pending with its hold reasons kept, so pages showed it
# as held; a commission in these statuses can only have left a hold by release.
_RELEASED = ("pending", "approved", "payable", "paid")


def upgrade() -> None:
    """Add programs.landing_url; clear the hold reasons of commissions released from a hold."""
    with op.batch_alter_table("programs") as batch:
        batch.add_column(
            sa.Column("landing_url", sa.String(length=2048), server_default="", nullable=False)
        )
    commissions = sa.table(
        "commissions", sa.column("status", sa.String()), sa.column("hold_reasons", sa.JSON())
    )
    op.execute(
        commissions.update()
        .where(commissions.c.status.in_(_RELEASED))
        .values(hold_reasons=sa.literal([], sa.JSON()))
    )


def downgrade() -> None:
    """Drop programs.landing_url (cleared hold reasons stay in each commission's history)."""
    with op.batch_alter_table("programs") as batch:
        batch.drop_column("landing_url")
