"""lending: borrowers, properties, loans with their running position, draws, money movements
(each with an idempotency key) and the loans' events

Revision ID: 0049
Revises: 0048
Create Date: 2026-12-06 01:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import evergreen.db

revision: str = "0049"
down_revision: str | None = "0048"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lending_properties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("purchase_price", sa.Numeric(precision=19, scale=4), nullable=True),
        sa.Column("rehab_budget", sa.Numeric(precision=19, scale=4), nullable=True),
        sa.Column("arv", sa.Numeric(precision=19, scale=4), nullable=True),
        sa.Column("created_at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lending_properties")),
    )
    op.create_table(
        "lending_borrowers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_lending_borrowers_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lending_borrowers")),
        sa.UniqueConstraint("name", name=op.f("uq_lending_borrowers_name")),
    )
    op.create_table(
        "lending_loans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("borrower_id", sa.Integer(), nullable=False),
        sa.Column("property_id", sa.Integer(), nullable=True),
        sa.Column("principal", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("commitment", sa.Numeric(precision=19, scale=4), nullable=True),
        sa.Column("annual_rate", sa.Numeric(precision=9, scale=6), nullable=False),
        sa.Column("default_rate", sa.Numeric(precision=9, scale=6), nullable=True),
        sa.Column("default_after_days", sa.Integer(), nullable=True),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("maturity", sa.Date(), nullable=False),
        sa.Column("interest_only", sa.Boolean(), nullable=False),
        sa.Column("amortization_months", sa.Integer(), nullable=True),
        sa.Column("day_count", sa.String(length=12), nullable=False),
        sa.Column("points", sa.Numeric(precision=9, scale=6), nullable=False),
        sa.Column("points_financed", sa.Boolean(), nullable=False),
        sa.Column("closing_fee", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("draw_fee", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("grace_days", sa.Integer(), nullable=False),
        sa.Column("late_fee", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("late_fee_pct", sa.Numeric(precision=9, scale=6), nullable=False),
        sa.Column("allocation", sa.String(length=80), nullable=False),
        sa.Column("dutch", sa.Boolean(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("stream_id", sa.Integer(), nullable=True),
        sa.Column("balance", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("undrawn", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("interest_due", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("default_interest_due", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("fees_due", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("accrued_to", sa.Date(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("created_at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["borrower_id"],
            ["lending_borrowers.id"],
            name=op.f("fk_lending_loans_borrower_id_lending_borrowers"),
        ),
        sa.ForeignKeyConstraint(
            ["property_id"],
            ["lending_properties.id"],
            name=op.f("fk_lending_loans_property_id_lending_properties"),
        ),
        sa.ForeignKeyConstraint(
            ["stream_id"],
            ["streams.id"],
            name=op.f("fk_lending_loans_stream_id_streams"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lending_loans")),
    )
    op.create_index(
        op.f("ix_lending_loans_borrower_id"), "lending_loans", ["borrower_id"], unique=False
    )
    op.create_index(op.f("ix_lending_loans_status"), "lending_loans", ["status"], unique=False)
    op.create_table(
        "lending_draws",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("loan_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("fee", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("requested_on", sa.Date(), nullable=False),
        sa.Column("inspected_on", sa.Date(), nullable=True),
        sa.Column("approved_on", sa.Date(), nullable=True),
        sa.Column("funded_on", sa.Date(), nullable=True),
        sa.Column("created_at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["loan_id"], ["lending_loans.id"], name=op.f("fk_lending_draws_loan_id_lending_loans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lending_draws")),
    )
    op.create_index(op.f("ix_lending_draws_loan_id"), "lending_draws", ["loan_id"], unique=False)
    op.create_table(
        "lending_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("loan_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.Column("created_at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["loan_id"], ["lending_loans.id"], name=op.f("fk_lending_events_loan_id_lending_loans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lending_events")),
    )
    op.create_index(op.f("ix_lending_events_loan_id"), "lending_events", ["loan_id"], unique=False)
    op.create_table(
        "lending_movements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("loan_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("principal", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("interest", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("default_interest", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("fees", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("points", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["loan_id"],
            ["lending_loans.id"],
            name=op.f("fk_lending_movements_loan_id_lending_loans"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lending_movements")),
        sa.UniqueConstraint("key", name=op.f("uq_lending_movements_key")),
    )
    op.create_index(
        "ix_lending_movements_loan_on", "lending_movements", ["loan_id", "on"], unique=False
    )


def downgrade() -> None:
    op.drop_table("lending_events")
    op.drop_table("lending_movements")
    op.drop_table("lending_draws")
    op.drop_table("lending_loans")
    op.drop_table("lending_borrowers")
    op.drop_table("lending_properties")
