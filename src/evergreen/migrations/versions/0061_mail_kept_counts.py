"""a broadcast's send-log counts kept on its row; a partial index of the send rows still open

Revision ID: 0061
Revises: 0060
Create Date: 2026-12-06 07:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0061"
down_revision: str | None = "0060"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COUNTS = ("sent_count", "failed_count", "bounced_count", "skipped_count", "complaint_count")
_OPEN = "status IN ('queued', 'deferred', 'claimed')"


def upgrade() -> None:
    with op.batch_alter_table("mail_messages") as batch:
        for name in _COUNTS:
            batch.add_column(sa.Column(name, sa.Integer(), server_default="0", nullable=False))
    # Counted once from the send log, as the sender will keep them from here on.
    messages = sa.table(
        "mail_messages",
        sa.column("id", sa.Integer()),
        *(sa.column(n, sa.Integer()) for n in _COUNTS),
    )
    sends = sa.table(
        "mail_sends",
        sa.column("message_id", sa.Integer()),
        sa.column("status", sa.String()),
        sa.column("complained_at", sa.DateTime()),
    )
    conditions = {
        "sent_count": sends.c.status == "sent",
        "failed_count": sends.c.status == "failed",
        "bounced_count": sends.c.status == "bounced",
        "skipped_count": sends.c.status == "skipped",
        "complaint_count": sends.c.complained_at.is_not(None),
    }
    for name, condition in conditions.items():
        counted = (
            sa.select(sa.func.count())
            .where(sends.c.message_id == messages.c.id, condition)
            .scalar_subquery()
        )
        op.execute(sa.update(messages).values({name: counted}))
    op.create_index(
        "ix_mail_sends_open",
        "mail_sends",
        ["message_id", "id"],
        unique=False,
        sqlite_where=sa.text(_OPEN),
        postgresql_where=sa.text(_OPEN),
    )


def downgrade() -> None:
    op.drop_index("ix_mail_sends_open", table_name="mail_sends")
    with op.batch_alter_table("mail_messages") as batch:
        for name in reversed(_COUNTS):
            batch.drop_column(name)
