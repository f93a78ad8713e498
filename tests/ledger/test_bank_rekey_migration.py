"""Migration 0067 on SQLite and PostgreSQL: bank rows stored with control characters or
direction marks in their words and keys (as imports kept them before 0066's code) are cleaned
and re-keyed, so the same file imported again posts none of them a second time."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from alembic import command
from sqlalchemy import select, update

from evergreen import migrate
from evergreen.db import Database
from evergreen.ledger import service
from evergreen.ledger.models import JournalEntry
from evergreen.ledger.rules import StreamKind
from evergreen.ledger.rules.import_rules import row_content, row_key
from evergreen.ledger.service import import_rules as rules
from evergreen.ledger.service.bank_import import BANK, import_bank_csv

# What a bank wrote: direction marks around Hebrew words (two equal rows of them), a bell, a
# U+202E that showed the rest reversed, and a row with nothing to drop.
ROWS = [
    ("2026-01-06", "\u200fקפה\u200f", "Coffee\x07", "-3.00"),
    ("2026-01-06", "\u200fקפה\u200f", "Coffee\x07", "-3.00"),
    ("2026-01-07", "Host\u202eing", "AWS", "-12.50"),
    ("2026-01-08", "Plain", "KDP", "250.00"),
]
STATEMENT = "Date,Payee,Description,Amount\n" + "".join(f"{','.join(r)}\n" for r in ROWS)


def _as_stored_before(db: Database) -> None:
    """Give each imported entry the words and key the code before 0066's kept: spaces folded,
    nothing else dropped, the key of those words (equal rows counted in file order)."""
    seen: dict[str, int] = {}
    with db.session() as session:
        ids = session.scalars(select(JournalEntry.id).order_by(JournalEntry.id)).all()
        for entry_id, (day, payee, words, amount) in zip(ids, ROWS, strict=True):
            content = row_content(BANK, date.fromisoformat(day), Decimal(amount), None, payee,
                                  words)  # fmt: skip
            seen[content] = seen.get(content, 0) + 1
            session.execute(
                update(JournalEntry)
                .where(JournalEntry.id == entry_id)
                .values(payee=payee, narration=words, source_key=row_key(content, seen[content]))
            )


def test_rows_kept_with_control_characters_are_found_by_the_next_import(
    empty_database_url: str,
) -> None:
    migrate.upgrade(empty_database_url)
    db = Database(empty_database_url)
    try:
        with db.session() as session:
            blog = service.add_stream(session, service.StreamDraft("Blog", StreamKind.ARTICLES),
                                      date(2026, 1, 1))  # fmt: skip
            for pattern, account in (("coffee", "Expenses:Coffee"), ("aws", "Expenses:Hosting"),
                                     ("kdp", "Income:Royalties")):  # fmt: skip
                rules.add_rule(session, rules.RuleDraft(pattern, blog.id, account))
            posted = import_bank_csv(session, STATEMENT.splitlines(keepends=True), post=True)
            assert posted.new == 4
        _as_stored_before(db)
        with db.session(writer=False) as session:  # what 0067 is for: all but one look new
            before = import_bank_csv(session, STATEMENT.splitlines(keepends=True))
            assert (before.new, before.already) == (3, 1)
    finally:
        db.dispose()
    command.downgrade(migrate.alembic_config(empty_database_url), "0066")  # the one before
    migrate.upgrade(empty_database_url)
    db = Database(empty_database_url)
    try:
        with db.session(writer=False) as session:
            again = import_bank_csv(session, STATEMENT.splitlines(keepends=True))
            stored = session.execute(
                select(JournalEntry.payee, JournalEntry.narration).order_by(JournalEntry.id)
            ).all()
    finally:
        db.dispose()
    assert (again.new, again.already) == (0, 4)
    assert [tuple(row) for row in stored] == [
        ("קפה", "Coffee"), ("קפה", "Coffee"), ("Hosting", "AWS"), ("Plain", "KDP"),
    ]  # fmt: skip
