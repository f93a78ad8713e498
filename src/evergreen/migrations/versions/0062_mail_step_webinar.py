"""a sequence message's webinar: whose registration `{{ webinar.… }}` prints in it

Revision ID: 0062
Revises: 0061
Create Date: 2026-12-06 22:15:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0062"
down_revision: str | None = "0061"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _pinned(trigger: Any, program: Any) -> str:
    """The stored forms' webinar in view, as rules.webinar_in_view reads the parsed ones."""
    if isinstance(trigger, dict) and trigger.get("kind") == "webinar":
        named = trigger.get("webinar")
        if isinstance(named, str) and named:
            return named[:100]
    steps = program.get("steps") if isinstance(program, dict) else None
    waited = {
        step["event"].removeprefix("webinar:")
        for step in (steps if isinstance(steps, list) else [])
        if isinstance(step, dict)
        and step.get("kind") == "wait_relative"
        and isinstance(step.get("event"), str)
        and step["event"].startswith("webinar:")
    }
    return waited.pop()[:100] if len(waited) == 1 else ""


def upgrade() -> None:
    with op.batch_alter_table("mail_messages") as batch:
        batch.add_column(
            sa.Column("webinar", sa.String(length=100), server_default="", nullable=False)
        )
    sequences = sa.table(
        "sequences",
        sa.column("id", sa.Integer()),
        sa.column("trigger", sa.JSON()),
        sa.column("program", sa.JSON()),
    )
    steps = sa.table(
        "sequence_messages", sa.column("sequence_id", sa.Integer()), sa.column("message_id")
    )
    messages = sa.table("mail_messages", sa.column("id"), sa.column("webinar", sa.String()))
    bind = op.get_bind()
    for sequence_id, trigger, program in bind.execute(
        sa.select(sequences.c.id, sequences.c.trigger, sequences.c.program)
    ):
        webinar = _pinned(trigger, program)
        if webinar:
            ids = sa.select(steps.c.message_id).where(steps.c.sequence_id == sequence_id)
            bind.execute(sa.update(messages).where(messages.c.id.in_(ids)).values(webinar=webinar))


def downgrade() -> None:
    with op.batch_alter_table("mail_messages") as batch:
        batch.drop_column("webinar")
