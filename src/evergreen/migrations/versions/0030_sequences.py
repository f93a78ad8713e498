"""sequences: stored sequences, their step messages, enrolments; mail_messages.kind

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-09 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import evergreen.db

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = evergreen.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("mail_messages") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(length=10), server_default="broadcast", nullable=False)
        )
    op.create_table(
        "sequences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=True),
        sa.Column("trigger", sa.JSON(), nullable=False),
        sa.Column("program", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("activated_at", _TIME, nullable=True),
        sa.Column("enrolled_through", _TIME, nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["audience_lists.id"],
            name=op.f("fk_sequences_list_id_audience_lists"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sequences")),
        sa.UniqueConstraint("name", name=op.f("uq_sequences_name")),
    )
    op.create_table(
        "sequence_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sequence_id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=200), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sequence_id"],
            ["sequences.id"],
            name=op.f("fk_sequence_messages_sequence_id_sequences"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["mail_messages.id"],
            name=op.f("fk_sequence_messages_message_id_mail_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sequence_messages")),
        sa.UniqueConstraint("sequence_id", "ref", name="uq_sequence_messages_ref"),
    )
    op.create_table(
        "sequence_enrolments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sequence_id", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.JSON(), nullable=False),
        sa.Column("due_at", _TIME, nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("exit_reason", sa.String(length=200), nullable=False),
        sa.Column("steps_done", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(length=80), nullable=False),
        sa.Column("claimed_until", _TIME, nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["sequence_id"],
            ["sequences.id"],
            name=op.f("fk_sequence_enrolments_sequence_id_sequences"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscribers.id"],
            name=op.f("fk_sequence_enrolments_subscriber_id_subscribers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sequence_enrolments")),
        sa.UniqueConstraint("sequence_id", "subscriber_id", name="uq_sequence_enrolments_person"),
    )
    op.create_index(
        "ix_sequence_enrolments_due", "sequence_enrolments", ["status", "due_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_sequence_enrolments_due", table_name="sequence_enrolments")
    op.drop_table("sequence_enrolments")
    op.drop_table("sequence_messages")
    op.drop_table("sequences")
    with op.batch_alter_table("mail_messages") as batch:
        batch.drop_column("kind")
