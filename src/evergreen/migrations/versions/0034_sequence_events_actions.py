"""sequence events (the API's named events), sequence actions (Notify and Webhook steps), and
an index on subscriber activity by kind and time (the sequences' tick reads recent clicks)

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-10 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import evergreen.db

revision: str = "0034"
down_revision: str | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = evergreen.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sequence_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("at", _TIME, nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscribers.id"],
            name=op.f("fk_sequence_events_subscriber_id_subscribers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sequence_events")),
        sa.UniqueConstraint("idempotency_key", name="uq_sequence_events_key"),
    )
    op.create_index("ix_sequence_events_created", "sequence_events", ["created_at"])
    op.create_index("ix_sequence_events_subscriber", "sequence_events", ["subscriber_id", "name"])
    op.create_table(
        "sequence_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("enrolment_id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_at", _TIME, nullable=False),
        sa.Column("claimed_until", _TIME, nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.Column("done_at", _TIME, nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["sequence_enrolments.id"],
            name=op.f("fk_sequence_actions_enrolment_id_sequence_enrolments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sequence_actions")),
        sa.UniqueConstraint("key", name="uq_sequence_actions_key"),
    )
    op.create_index("ix_sequence_actions_due", "sequence_actions", ["status", "next_at"])
    op.create_index("ix_subscriber_activity_kind_at", "subscriber_activity", ["kind", "at"])


def downgrade() -> None:
    op.drop_index("ix_subscriber_activity_kind_at", table_name="subscriber_activity")
    op.drop_index("ix_sequence_actions_due", table_name="sequence_actions")
    op.drop_table("sequence_actions")
    op.drop_index("ix_sequence_events_subscriber", table_name="sequence_events")
    op.drop_index("ix_sequence_events_created", table_name="sequence_events")
    op.drop_table("sequence_events")
