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
    for name, condition in (
        ("sent_count", "status = 'sent'"),
        ("failed_count", "status = 'failed'"),
        ("bounced_count", "status = 'bounced'"),
        ("skipped_count", "status = 'skipped'"),
        ("complaint_count", "complained_at IS NOT NULL"),
    ):
        op.execute(
            f"UPDATE mail_messages SET {name} = (SELECT count(*) FROM mail_sends "
            f"WHERE mail_sends.message_id = mail_messages.id AND {condition})"
        )
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
