"""ledger: the balances of a stream's non-money Assets accounts count as capital

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 16:12:34.717529
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

# The rollup's capital now counts every cleared posting of an Assets account other than the
# money accounts (_MONEY and below), as posted
# (ledger.rules.journal.counted); rows posted before this revision are added here.
_MONEY = ("Assets:Bank", "Assets:Cash", "Assets:Checking", "Assets:Savings", "Assets:Receivable")
_ASSET_POSTINGS = (
    "SELECT p.stream_id, t.date, p.currency, 0, 0, "
    "{sign} SUM(CAST(ROUND(p.amount * 10000) AS BIGINT)), {sign} COUNT(*) "
    "FROM ledger_postings p JOIN ledger_transactions t ON t.id = p.transaction_id "
    "WHERE p.stream_id IS NOT NULL AND t.flag = '*' AND substr(p.account, 1, 7) = 'Assets:' "
    + "".join(
        f"AND p.account <> '{name}' AND substr(p.account, 1, {len(name) + 1}) <> '{name}:' "
        for name in _MONEY
    )
    + "GROUP BY p.stream_id, t.date, p.currency"
)
_UPSERT = (
    "INSERT INTO ledger_daily (stream_id, day, currency, income_units, costs_units, "
    "capital_units, postings) {rows} "
    "ON CONFLICT (stream_id, day, currency) DO UPDATE SET "
    "capital_units = ledger_daily.capital_units + excluded.capital_units, "
    "postings = ledger_daily.postings + excluded.postings"
)


def _move_assets(sign: str) -> None:
    op.execute(_UPSERT.format(rows=_ASSET_POSTINGS.format(sign=sign)))


revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    _move_assets("")


def downgrade() -> None:
    _move_assets("-")
