"""Races of the bank import and its rules, each answered as one of the two serial orders would
answer it, never with a 500.

A rule changed or deleted on its page (read to show it, then changed) while another request
deletes it: the later one is told the rule is gone (404 naming it). Before, on PostgreSQL (READ
COMMITTED) it changed or deleted the copy it had read, and the ORM found no row to write.

Two overlapping statements imported at the same moment: the later import posts only the rows
the first did not and counts the others as already imported. Before, on PostgreSQL each
checked the stored keys before the other committed, and the later met the first's unique keys
and rolled back (a 500)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evergreen.db import Database
from evergreen.errors import NotFound
from evergreen.ledger import service
from evergreen.ledger.models import ImportRule, JournalEntry
from evergreen.ledger.rules import StreamKind
from evergreen.ledger.service import bank_import
from evergreen.ledger.service import import_rules as rules
from tests.races import Work, race


def _rule(db: Database) -> tuple[int, int]:
    """A stream and a rule on it: their ids."""
    with db.session() as session:
        blog = service.add_stream(
            session, service.StreamDraft("Blog", StreamKind.ARTICLES), date(2026, 1, 1)
        )
        rule = rules.add_rule(session, rules.RuleDraft("coffee", blog.id, "Expenses:Coffee"))
        return blog.id, rule.id


def _on_page(rule_id: int, change: Callable[[Session], object]) -> Work:
    """As the rule's page does it: the rule read (to show it), then changed, the copy read kept
    (the session holds it only while it is referenced)."""

    def work(session: Session) -> object:
        shown = rules.get_rule(session, rule_id)
        changed = change(session)
        assert shown.id == rule_id
        return changed

    return work


def _update(rule_id: int, stream_id: int) -> Callable[[Session], object]:
    def update(session: Session) -> object:
        draft = rules.RuleDraft("tea", stream_id, "Expenses:Tea", priority=3)
        return rules.update_rule(session, rule_id, draft).pattern

    return update


def _delete(rule_id: int) -> Callable[[Session], object]:
    return lambda session: rules.delete_rule(session, rule_id)


@pytest.mark.parametrize("action", ["update", "delete"])
def test_a_rule_deleted_meanwhile_is_not_found(
    db: Database, monkeypatch: pytest.MonkeyPatch, action: str
) -> None:
    stream_id, rule_id = _rule(db)
    act = _update(rule_id, stream_id) if action == "update" else _delete(rule_id)
    first, second = race(
        db, monkeypatch, _on_page(rule_id, act), _on_page(rule_id, _delete(rule_id)),
        pause_at=(rules, "get_rule"), pause_after=True,
    )  # fmt: skip
    # SQLite: the first holds the write lock, the second comes after it. PostgreSQL: the first,
    # paused after it read the rule, comes after the second deleted it.
    earlier, later = (first, second) if db.single_writer else (second, first)
    assert earlier == ("tea" if db.single_writer and action == "update" else None, None)
    if db.single_writer and action == "update":
        assert later == (None, None)  # the changed rule, deleted
    else:
        assert later[0] is None
        assert isinstance(later[1], NotFound), later[1]
        assert (later[1].status, later[1].field) == (404, "rule")
        assert later[1].message == f"there is no rule {rule_id}"
    with db.session(writer=False) as session:
        assert session.scalars(select(ImportRule)).all() == []


def test_a_rule_changed_while_a_delete_waits_is_changed_then_deleted(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream_id, rule_id = _rule(db)
    first, second = race(
        db, monkeypatch, _update(rule_id, stream_id), _delete(rule_id),
        pause_at=(rules, "get_rule"), pause_after=True,
    )  # fmt: skip
    # Both orders: the change holds the rule from its read on, so the delete comes after it.
    assert first == ("tea", None), first
    assert second == (None, None), second
    with db.session(writer=False) as session:
        assert session.scalars(select(ImportRule)).all() == []


HEADER = "Date,Description,Amount\n"
ROWS = [f"2026-01-0{day},Coffee,-{day}.00\n" for day in range(1, 6)]


def _import(rows: list[str]) -> Work:
    def work(session: Session) -> object:
        result = bank_import.import_bank_csv(session, [HEADER, *rows], post=True)
        return (result.rows, result.new, result.already, result.unmatched)

    return work


def test_two_overlapping_statements_imported_at_once_post_each_row_once(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    _rule(db)
    # days 1-4, and days 2-5: three rows in both
    first, second = race(
        db, monkeypatch, _import(ROWS[:4]), _import(ROWS[1:]),
        pause_at=(bank_import, "post_many"), pause_after=True,
    )  # fmt: skip
    # The first posts its four rows; the second, which waits for it in both databases, finds
    # three of its rows posted and posts the fifth.
    assert first == ((4, 4, 0, 0), None), first
    assert second == ((4, 1, 3, 0), None), second
    with db.session(writer=False) as session:
        days = session.scalars(select(JournalEntry.date).order_by(JournalEntry.date)).all()
        keys = session.scalar(select(func.count(func.distinct(JournalEntry.source_key))))
    assert days == [date(2026, 1, day) for day in range(1, 6)]
    assert keys == 5
