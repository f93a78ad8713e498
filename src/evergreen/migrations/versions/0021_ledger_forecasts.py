"""ledger: a stream's stored forecast (explicit years of residual income, then how it continues)

Revision ID: 0021
Revises: 0019
Create Date: 2026-12-04 16:50:42.603334
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import evergreen.db

revision: str = "0021"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ledger_forecasts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stream_id", sa.Integer(), nullable=False),
        sa.Column("continuing", sa.String(length=12), nullable=False),
        sa.Column("persistence", sa.Numeric(precision=9, scale=6), nullable=True),
        sa.Column("updated_at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["stream_id"],
            ["streams.id"],
            name=op.f("fk_ledger_forecasts_stream_id_streams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_forecasts")),
        sa.UniqueConstraint("stream_id", name=op.f("uq_ledger_forecasts_stream_id")),
    )
    op.create_table(
        "ledger_forecast_years",
        sa.Column("forecast_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("residual_income", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.ForeignKeyConstraint(
            ["forecast_id"],
            ["ledger_forecasts.id"],
            name=op.f("fk_ledger_forecast_years_forecast_id_ledger_forecasts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("forecast_id", "year", name=op.f("pk_ledger_forecast_years")),
    )


def downgrade() -> None:
    op.drop_table("ledger_forecast_years")
    op.drop_table("ledger_forecasts")
