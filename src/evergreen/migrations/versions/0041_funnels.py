"""funnels: funnels, steps, A/B variants, daily traffic counters and ad spend

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-05 03:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import evergreen.db

revision: str = "0041"
down_revision: str | None = "0040"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "funnels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=60), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("primary_colour", sa.String(length=7), nullable=False),
        sa.Column("background_colour", sa.String(length=7), nullable=False),
        sa.Column("text_colour", sa.String(length=7), nullable=False),
        sa.Column("created_at", evergreen.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funnels")),
        sa.UniqueConstraint("slug", name=op.f("uq_funnels_slug")),
    )
    op.create_table(
        "funnel_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("funnel_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("slug", sa.String(length=60), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("template", sa.String(length=12), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=True),
        sa.Column("form_slug", sa.String(length=60), nullable=True),
        sa.Column("webinar_slug", sa.String(length=60), nullable=True),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("bump_product_id", sa.Integer(), nullable=True),
        sa.Column("yes_step_id", sa.Integer(), nullable=True),
        sa.Column("no_step_id", sa.Integer(), nullable=True),
        _fk("funnel_steps", "funnel_id", "funnels"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funnel_steps")),
        sa.UniqueConstraint("funnel_id", "slug", name=op.f("uq_funnel_steps_funnel_id")),
    )
    op.create_index(op.f("ix_funnel_steps_funnel_id"), "funnel_steps", ["funnel_id"])
    op.create_table(
        "funnel_variants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("headline", sa.String(length=200), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("button", sa.String(length=60), nullable=False),
        _fk("funnel_variants", "step_id", "funnel_steps"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funnel_variants")),
        sa.UniqueConstraint("step_id", "name", name=op.f("uq_funnel_variants_step_id")),
    )
    op.create_index(op.f("ix_funnel_variants_step_id"), "funnel_variants", ["step_id"])
    op.create_table(
        "funnel_traffic",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("funnel_id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=False),
        sa.Column("variant_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("visitors", sa.BigInteger(), nullable=False),
        sa.Column("views", sa.BigInteger(), nullable=False),
        sa.Column("conversions", sa.BigInteger(), nullable=False),
        _fk("funnel_traffic", "funnel_id", "funnels"),
        _fk("funnel_traffic", "step_id", "funnel_steps"),
        _fk("funnel_traffic", "variant_id", "funnel_variants"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funnel_traffic")),
        sa.UniqueConstraint("variant_id", "day", name=op.f("uq_funnel_traffic_variant_id")),
    )
    op.create_index(op.f("ix_funnel_traffic_funnel_id"), "funnel_traffic", ["funnel_id"])
    op.create_table(
        "ad_spend",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("funnel_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("campaign", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        _fk("ad_spend", "funnel_id", "funnels"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ad_spend")),
        sa.UniqueConstraint(
            "funnel_id", "day", "campaign", "source", name=op.f("uq_ad_spend_funnel_id")
        ),
    )
    op.create_index(op.f("ix_ad_spend_funnel_id"), "ad_spend", ["funnel_id"])


def downgrade() -> None:
    op.drop_table("ad_spend")
    op.drop_table("funnel_traffic")
    op.drop_table("funnel_variants")
    op.drop_table("funnel_steps")
    op.drop_table("funnels")
