"""lending: where each loan's payments stand against its calendar (oldest unpaid due date and
what is left of it), kept on the loan's row; filled here from each open loan's movements

Revision ID: 0054
Revises: 0053
Create Date: 2026-12-06 02:45:00.000000
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision: str = "0054"
down_revision: str | None = "0053"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TERMS = ("principal", "annual_rate", "months", "start", "day_count", "commitment",
          "interest_only", "amortization_months", "default_rate", "default_after_days",
          "grace_days", "late_fee", "late_fee_pct", "dutch", "allocation", "maturity")  # fmt: skip


def upgrade() -> None:
    op.add_column("lending_loans", sa.Column("next_due", sa.Date(), nullable=True))
    op.add_column(
        "lending_loans",
        sa.Column(
            "next_amount",
            sa.Numeric(precision=19, scale=4),
            nullable=False,
            server_default=sa.text("0"),
        ),
    )
    _fill(op.get_bind())


def _fill(conn: sa.Connection) -> None:
    """Each open loan's position by the same rule the service keeps it with."""
    from evergreen.lending.rules import LoanTerms, calendar_rows, schedule_position

    meta = sa.MetaData()
    names = ("lending_loans", "lending_movements", "lending_draws")
    loans, moves, draws = (sa.Table(name, meta, autoload_with=conn) for name in names)
    paid: dict[int, Decimal] = defaultdict(Decimal)
    for loan_id, principal, interest, default_interest in conn.execute(
        sa.select(moves.c.loan_id, moves.c.principal, moves.c.interest, moves.c.default_interest)
        .where(moves.c.kind.in_(("payment", "payoff")))
    ):  # fmt: skip
        paid[loan_id] += Decimal(principal) + Decimal(interest) + Decimal(default_interest)
    funded: dict[int, list[tuple[date, Decimal]]] = defaultdict(list)
    for loan_id, day, amount in conn.execute(
        sa.select(draws.c.loan_id, draws.c.funded_on, draws.c.amount)
        .where(draws.c.status == "funded", draws.c.funded_on.is_not(None))
        .order_by(draws.c.funded_on, draws.c.id)
    ):  # fmt: skip
        funded[loan_id].append((day, Decimal(amount)))
    for row in conn.execute(sa.select(loans).where(loans.c.status == "open")).mappings().all():
        terms = LoanTerms(**{n: row[n] for n in _TERMS if n != "allocation"},
                          allocation=tuple(row["allocation"].split(",")))  # fmt: skip
        next_due, left = schedule_position(calendar_rows(terms, funded[row["id"]]),
                                           paid[row["id"]])  # fmt: skip
        conn.execute(sa.update(loans).where(loans.c.id == row["id"])
                     .values(next_due=next_due, next_amount=left))  # fmt: skip


def downgrade() -> None:
    op.drop_column("lending_loans", "next_amount")
    op.drop_column("lending_loans", "next_due")
