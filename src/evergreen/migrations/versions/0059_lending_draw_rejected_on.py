"""lending: the day a draw was rejected, kept on the draw as its other steps' days are; filled
here from the loan's history (the `draw_rejected` event written when it happened)

Revision ID: 0059
Revises: 0058
Create Date: 2026-12-06 04:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op

revision: str = "0059"
down_revision: str | None = "0058"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("lending_draws", sa.Column("rejected_on", sa.Date(), nullable=True))
    conn = op.get_bind()
    meta = sa.MetaData()
    draws = sa.Table("lending_draws", meta, autoload_with=conn)
    events = sa.Table("lending_events", meta, autoload_with=conn)
    found = sa.select(events.c.detail, events.c.on).where(events.c.kind == "draw_rejected")
    rejected: dict[str, date] = dict(conn.execute(found).all())
    for (draw_id,) in conn.execute(sa.select(draws.c.id).where(draws.c.status == "rejected")):
        on = rejected.get(f"draw {draw_id} rejected")
        if on is not None:
            conn.execute(draws.update().where(draws.c.id == draw_id).values(rejected_on=on))


def downgrade() -> None:
    op.drop_column("lending_draws", "rejected_on")
