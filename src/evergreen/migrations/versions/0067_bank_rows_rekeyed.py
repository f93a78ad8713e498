"""bank rows stored with control characters or direction marks in their words: cleaned and
re-keyed as an import reads them now, so importing the same file again finds them

Since 0066's code an import drops control characters and direction marks from a row's payee
and description (U+202E showed the rest reversed; banks write U+200E/U+200F beside Hebrew and
Arabic words) before it keys the row. A row posted earlier kept them, in its words and in its
key (a hash of the row's account, date, amount, currency and words, and how many equal rows
came before it in its file), so the same file imported again matched none of them and posted
each a second time. Each such entry gets the words an import reads now and the key those
words give, its occurrence found by trying the stored key (the row's currency was the file's,
or none when the file had no currency column: both are tried).

Cannot fail on a unique key: a key already taken (the file was imported again after the
upgrade, before this ran) is left as it is, the words cleaned all the same, and the upgrade
goes on. Downgrade: nothing to do (the cleaned words and keys are what 0066's code reads).

Revision ID: 0067
Revises: 0066
Create Date: 2026-12-08 03:00:00
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Sequence
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision: str = "0067"
down_revision: str | None = "0066"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As evergreen.ledger.rules.inputs and bank_csv read them on 2026-12-08 (a migration keeps its
# own copy: later code may read differently, and this must stay what that code stored).
_DIRECTION_CLASSES = frozenset({"LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI"})
_DIRECTION_MARKS = frozenset("\u200e\u200f\u061c")
_MOST_REPEATS = 10_000  # equal rows in one file tried for the stored key


def _dropped(ch: str) -> bool:
    return (
        unicodedata.category(ch) == "Cc"
        or ch in _DIRECTION_MARKS
        or unicodedata.bidirectional(ch) in _DIRECTION_CLASSES
    )


def _clean(words: str) -> str:
    """A payee or description as an import reads it now."""
    words = " ".join(words.split())
    if words.isprintable():
        return words
    return " ".join("".join(ch for ch in words if not _dropped(ch)).split())


def _key(parts: tuple[str, ...], occurrence: int) -> str:
    """A row's key from its account, day, amount, currency, payee and description."""
    content = "\x1f".join((*parts, str(occurrence)))
    return "bank:" + hashlib.sha256(content.encode()).hexdigest()[:40]


def _occurrence(key: str, rows: list[tuple[str, ...]]) -> tuple[tuple[str, ...], int] | None:
    """Which of these readings of the row, at which occurrence in its file, has the stored key."""
    for occurrence in range(1, _MOST_REPEATS + 1):
        for row in rows:
            if _key(row, occurrence) == key:
                return row, occurrence
    return None


def upgrade() -> None:
    conn = op.get_bind()
    entries = conn.execute(
        sa.text(
            "SELECT id, date, payee, narration, source_key FROM ledger_transactions "
            "WHERE source = 'import' AND source_key LIKE 'bank:%'"
        )
    ).all()
    legs = sa.text(
        "SELECT account, amount, currency FROM ledger_postings WHERE transaction_id = :id "
        "ORDER BY id"
    ).columns(account=sa.String, amount=sa.Numeric(19, 4), currency=sa.String)
    taken = sa.text("SELECT 1 FROM ledger_transactions WHERE source_key = :key")
    update = sa.text(
        "UPDATE ledger_transactions SET payee = :payee, narration = :narration, "
        "source_key = :key WHERE id = :id"
    )
    for entry_id, day, payee, narration, key in entries:
        payee, narration = payee or "", narration or ""
        clean_payee, clean_narration = _clean(payee), _clean(narration)
        if (clean_payee, clean_narration) == (payee, narration):
            continue  # nearly every row: nothing was dropped, its key stands
        readings = [
            (account, str(day)[:10], f"{Decimal(amount).normalize():f}", currency_used)
            for account, amount, currency in conn.execute(legs, {"id": entry_id})
            for currency_used in ("", currency)
        ]  # the bank's leg (the first), its amount, and the file's currency or none
        found = _occurrence(key, [(*reading, payee, narration) for reading in readings])
        new_key = key
        if found is not None:
            row, occurrence = found
            candidate = _key((*row[:4], clean_payee, clean_narration), occurrence)
            if conn.execute(taken, {"key": candidate}).first() is None:
                new_key = candidate
        conn.execute(update, {"payee": clean_payee, "narration": clean_narration,
                              "key": new_key, "id": entry_id})  # fmt: skip


def downgrade() -> None:
    pass
