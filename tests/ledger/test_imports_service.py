"""Bank and time-log imports on SQLite and PostgreSQL: previews, posting once, refusals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evergreen.db import Database
from evergreen.errors import NotFound
from evergreen.ledger import service
from evergreen.ledger.errors import LedgerInputError
from evergreen.ledger.models import DailyFigures, HoursEntry, JournalEntry, Posting
from evergreen.ledger.rules import StreamKind
from evergreen.ledger.service import import_rules as rules
from evergreen.ledger.service.bank_import import BATCH, import_bank_csv
from evergreen.ledger.service.hours_import import import_hours

STATEMENT = (
    "Date,Description,Amount\n"
    "2026-01-05,AMAZON WEB SERVICES,-12.50\n"
    "2026-01-06,KDP royalties,250.00\n"
    "2026-01-06,Coffee,-3.00\n"
    "2026-01-06,Coffee,-3.00\n"
    "2026-01-07,Unknown shop,-1.00\n"
)


def _setup(session: Session) -> tuple[int, int]:
    today = date(2026, 1, 1)
    blog = service.add_stream(session, service.StreamDraft("Blog", StreamKind.ARTICLES), today)
    books = service.add_stream(session, service.StreamDraft("Books", StreamKind.ROYALTIES), today)
    rules.add_rule(session, rules.RuleDraft("amazon web", blog.id, "Expenses:Hosting"))
    rules.add_rule(session, rules.RuleDraft(r"kdp|royalt", books.id, "Income:Royalties", True, 5))
    rules.add_rule(session, rules.RuleDraft("coffee", blog.id, "Expenses:Coffee"))
    return blog.id, books.id


def _count(session: Session, table: type) -> int:
    return session.scalar(select(func.count()).select_from(table)) or 0


def test_a_preview_says_what_each_row_becomes_and_posts_nothing(db: Database) -> None:
    with db.session() as session:
        _setup(session)
        result = import_bank_csv(session, STATEMENT.splitlines(keepends=True))
        assert (result.rows, result.new, result.already, result.unmatched) == (5, 4, 0, 1)
        assert [(r.line, r.stream, r.account, r.kind, r.status) for r in result.shown] == [
            (2, "Blog", "Expenses:Hosting", "cost", "new"),
            (3, "Books", "Income:Royalties", "income", "new"),
            (4, "Blog", "Expenses:Coffee", "cost", "new"),
            (5, "Blog", "Expenses:Coffee", "cost", "new"),
            (6, None, None, None, "no rule matched"),
        ]
        assert result.totals[("Blog", "Expenses:Coffee", "cost", "USD")] == (2, Decimal("-6.00"))
        assert [r.description for r in result.unmatched_shown] == ["Unknown shop"]
        assert _count(session, JournalEntry) == 0


def test_posting_twice_posts_once_and_the_figures_count_it_once(db: Database) -> None:
    with db.session() as session:
        blog_id, books_id = _setup(session)
        first = import_bank_csv(session, STATEMENT.splitlines(keepends=True), post=True)
        assert (first.new, first.already, first.unmatched) == (4, 0, 1)
    with db.session() as session:
        again = import_bank_csv(session, STATEMENT.splitlines(keepends=True), post=True)
        assert (again.new, again.already, again.unmatched) == (0, 4, 1)
        assert _count(session, JournalEntry) == 4
        assert _count(session, Posting) == 8
        costs = session.scalar(select(func.sum(DailyFigures.costs_units)).where(
            DailyFigures.stream_id == blog_id))  # fmt: skip
        income = session.scalar(select(func.sum(DailyFigures.income_units)).where(
            DailyFigures.stream_id == books_id))  # fmt: skip
        assert (costs, income) == (185_000, 2_500_000)  # ten-thousandths: 18.50 and 250.00
        sources = set(session.scalars(select(JournalEntry.source)))
        assert sources == {"import"}


def test_an_overlapping_statement_posts_only_its_new_rows(db: Database) -> None:
    with db.session() as session:
        _setup(session)
        import_bank_csv(session, STATEMENT.splitlines(keepends=True), post=True)
        overlap = (
            "Date,Description,Amount\n"
            "2026-01-06,Coffee,-3.00\n"
            "2026-01-06,Coffee,-3.00\n"
            "2026-01-06,Coffee,-3.00\n"
            "2026-01-08,AMAZON WEB SERVICES,-12.50\n"
        )
        result = import_bank_csv(session, overlap.splitlines(keepends=True), post=True)
        # the first two coffees of that day were posted; the third and the new bill were not
        assert (result.new, result.already) == (2, 2)
        assert _count(session, JournalEntry) == 6


def test_a_rule_added_later_posts_the_rows_left_unposted(db: Database) -> None:
    with db.session() as session:
        blog_id, _ = _setup(session)
        import_bank_csv(session, STATEMENT.splitlines(keepends=True), post=True)
        rules.add_rule(session, rules.RuleDraft("unknown", blog_id, "Expenses:Other"))
        result = import_bank_csv(session, STATEMENT.splitlines(keepends=True), post=True)
        assert (result.new, result.already, result.unmatched) == (1, 4, 0)


def test_a_file_one_row_longer_than_a_batch_posts_every_row_once(db: Database) -> None:
    # equal coffees on both sides of the batch boundary: counted across batches, so each posts
    rows = [f"2026-01-{1 + n % 28:02d},Coffee,-{1 + n % 97}.{n % 100:02d}\n" for n in range(BATCH)]
    rows[-1] = rows[-2] = "2026-01-09,Coffee,-3.00\n"
    statement = ["Date,Description,Amount\n", *rows, "2026-01-09,Coffee,-3.00\n"]
    with db.session() as session:
        blog_id, _ = _setup(session)
        preview = import_bank_csv(session, statement)
        assert (preview.rows, preview.new, preview.already) == (BATCH + 1, BATCH + 1, 0)
        posted = import_bank_csv(session, statement, post=True)
        assert (posted.rows, posted.new, posted.already) == (BATCH + 1, BATCH + 1, 0)
    with db.session() as session:
        again = import_bank_csv(session, statement, post=True)
        assert (again.new, again.already) == (0, BATCH + 1)
        assert import_bank_csv(session, statement).already == BATCH + 1
        assert _count(session, JournalEntry) == BATCH + 1
        assert _count(session, Posting) == 2 * (BATCH + 1)
        expected = sum(Decimal(row.rsplit(",", 1)[1]) for row in statement[1:])
        costs = session.scalar(select(func.sum(DailyFigures.costs_units)).where(
            DailyFigures.stream_id == blog_id))  # fmt: skip
        assert costs == int(-expected * 10_000)


def test_a_bad_row_refuses_the_whole_post_naming_the_line(db: Database) -> None:
    bad = STATEMENT + "2026-01-32,Coffee,-3.00\n"
    with db.session() as session:
        _setup(session)
    with pytest.raises(LedgerInputError) as refused, db.session() as session:
        import_bank_csv(session, bad.splitlines(keepends=True), post=True)
    assert refused.value.field == "line 7: date"
    with db.session() as session:
        assert _count(session, JournalEntry) == 0
        preview = import_bank_csv(session, bad.splitlines(keepends=True))
        assert preview.error_count == 1
        assert str(preview.errors[0]).startswith("line 7: date:")


def test_a_row_in_another_currency_than_its_stream_is_refused(db: Database) -> None:
    with db.session() as session:
        _setup(session)
        text = "Date,Description,Amount,Currency\n2026-01-05,KDP,10.00,EUR\n"
        preview = import_bank_csv(session, text.splitlines(keepends=True))
        assert [(e.line, e.field) for e in preview.errors] == [(2, "currency")]
        assert "USD stream" in preview.errors[0].message


def test_a_card_account_and_not_a_bank_account_is_refused(db: Database) -> None:
    with db.session() as session:
        _setup(session)
        result = import_bank_csv(session, STATEMENT.splitlines(keepends=True),
                                 bank_account="Liabilities:Card", post=True)  # fmt: skip
        assert result.new == 4
        accounts = set(session.scalars(select(Posting.account)))
        assert "Liabilities:Card" in accounts
        assert "Assets:Bank" not in accounts
        with pytest.raises(LedgerInputError, match="bank or card"):
            import_bank_csv(session, [], bank_account="Income:Sales")


def test_rules_are_checked_changed_and_deleted(db: Database) -> None:
    with db.session() as session:
        blog_id, _books_id = _setup(session)
        with pytest.raises(LedgerInputError, match="regular expression"):
            rules.add_rule(session, rules.RuleDraft("(x", blog_id, "Expenses:X", True))
        with pytest.raises(NotFound):
            rules.add_rule(session, rules.RuleDraft("x", 999, "Expenses:X"))
        first = rules.all_rules(session)[0]
        assert first.priority == 5
        rules.update_rule(
            session, first.id, rules.RuleDraft("kdp", blog_id, "Income:Books", False, 1)
        )
        assert (first.pattern, first.stream_id, first.account, first.regex) == (
            "kdp", blog_id, "Income:Books", False)  # fmt: skip
        rules.delete_rule(session, first.id)
        assert len(rules.all_rules(session)) == 2
        with pytest.raises(NotFound):
            rules.get_rule(session, first.id)


TIMEDOT = "2026-01-05\nBlog  .... ..\nbooks  2\n2026-01-06\nBlog  1\n"


def test_hours_import_adds_each_entry_once(db: Database) -> None:
    with db.session() as session:
        _setup(session)
        done = import_hours(session, TIMEDOT.splitlines(), "timedot")
        assert (done.added, done.already, done.hours) == (3, 0, Decimal("4.5"))
    with db.session() as session:
        again = import_hours(session, TIMEDOT.splitlines(), "timedot")
        assert (again.added, again.already) == (0, 3)
        rows = session.execute(select(HoursEntry.date, HoursEntry.hours, HoursEntry.source)
                               .order_by(HoursEntry.id)).all()  # fmt: skip
        assert [(d, h, s) for d, h, s in rows] == [
            (date(2026, 1, 5), Decimal("1.5"), "timedot"),
            (date(2026, 1, 5), Decimal(2), "timedot"),  # "books" is the stream Books
            (date(2026, 1, 6), Decimal(1), "timedot"),
        ]


def test_an_unknown_stream_refuses_the_log_naming_the_line(db: Database) -> None:
    with db.session() as session:
        _setup(session)
    log = (
        "i 2026-01-05 09:00 Blog\no 2026-01-05 10:00\ni 2026-01-06 09:00 Blgo\no 2026-01-06 10:00\n"
    )
    with pytest.raises(LedgerInputError) as refused, db.session() as session:
        import_hours(session, log.splitlines(), "timeclock")
    assert refused.value.field == "line 3: stream"
    assert "'Blgo'" in refused.value.message
    assert "Blog" in refused.value.message
    with db.session() as session:
        assert _count(session, HoursEntry) == 0


def test_a_line_the_csv_reader_refuses_stops_the_import_with_nothing_posted(
    db: Database,
) -> None:
    huge = "x" * 200_000  # past the csv module's field limit (131,072 characters)
    statement = STATEMENT + f"2026-01-08,{huge},-2.00\n" + "2026-01-09,Coffee,-3.00\n"
    with db.session() as session:
        _setup(session)
        with pytest.raises(LedgerInputError) as refused:
            import_bank_csv(session, statement.splitlines(keepends=True), post=True)
        assert refused.value.field == "file"
        assert "line 7 is not valid CSV" in refused.value.message
    with db.session() as session:
        assert _count(session, JournalEntry) == 0
    head = f"Date,{huge},Amount\n2026-01-05,Shop,-1.00\n"
    with db.session() as session, pytest.raises(LedgerInputError) as no_header:
        import_bank_csv(session, head.splitlines(keepends=True))
    assert no_header.value.field == "file"


def test_an_imported_log_may_not_fill_a_day_past_24_hours_with_what_is_recorded(
    db: Database,
) -> None:
    """A log was checked against itself only: 20 hours already recorded plus a log's 5 on the
    same day were all charged."""
    with db.session() as session:
        _setup(session)
        import_hours(session, ["2026-01-05", "Blog  20"], "timedot")
    with pytest.raises(LedgerInputError) as refused, db.session() as session:
        import_hours(session, ["2026-01-05", "books  5", "2026-01-06", "Blog  1"], "timedot")
    assert refused.value.field == "hours"
    assert "2026-01-05 to 25 hours" in refused.value.message
    with db.session() as session:
        assert _count(session, HoursEntry) == 1  # refused whole
