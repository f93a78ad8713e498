"""The beancount export: the pure writer, and a real journal checked by beancount's bean-check."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from evergreen.db import Database
from evergreen.ledger import service
from evergreen.ledger.exports.beancount import (
    BeanEntry,
    BeanHours,
    BeanLeg,
    account_for,
    journal_lines,
    quoted,
    stream_components,
)
from evergreen.ledger.exports.journal import write_beancount
from evergreen.ledger.rules import BANK, Leg, StreamKind
from evergreen.ledger.service.hours_import import import_hours
from tests.conftest import IN_CI


def _bean_check() -> str:
    """The bean-check of the beancount package installed with the dev extras."""
    found = shutil.which("bean-check") or str(Path(sys.executable).parent / "bean-check")
    if not os.access(found, os.X_OK):
        if IN_CI:
            pytest.fail("bean-check is missing: install the dev extras (beancount)")
        pytest.skip("beancount is not installed")
    return found


def test_stream_components_are_valid_stable_and_unique() -> None:
    components = stream_components(
        [(3, "日本"), (1, "my blog & co."), (2, "My-Blog: Co"), (4, "9 lives"), (5, "Blog")]
    )
    assert components == {1: "MyBlogCo", 2: "MyBlogCo-2", 3: "Stream3", 4: "9Lives", 5: "Blog"}


def test_streams_go_after_the_root_of_income_expenses_and_equity_only() -> None:
    assert account_for("Income:Other", "Blog") == "Income:Blog:Other"
    assert account_for("Expenses:Hosting:VPS", "Blog") == "Expenses:Blog:Hosting:VPS"
    assert account_for("Equity:Capital", "Blog") == "Equity:Blog:Capital"
    assert account_for("Assets:Bank", "Blog") == "Assets:Bank"
    assert account_for("Income:Other", None) == "Income:Other"


def test_strings_are_escaped_on_one_line() -> None:
    assert quoted('say "hi"\\\n  there') == '"say \\"hi\\"\\\\ there"'


def test_a_journal_is_written_with_opens_links_metadata_and_hours() -> None:
    legs = [BeanLeg("Assets:Bank", Decimal("10.5"), "USD", 1),
            BeanLeg("Income:Other", Decimal("-10.5"), "USD", 1)]  # fmt: skip
    undo = [BeanLeg(leg.account, -leg.amount, leg.currency, leg.stream_id) for leg in legs]
    text = "\n".join(
        journal_lines(
            title="Test",
            operating_currency="USD",
            streams=[(1, "My Blog")],
            entries=[
                BeanEntry(
                    7, date(2026, 1, 2), "!", "ACME", "Sale", "networks", "n:1", legs, reversed_by=8
                ),
                BeanEntry(
                    8,
                    date(2026, 1, 3),
                    "!",
                    "ACME",
                    "Reversal of #7",
                    "networks",
                    "reversal:n:1",
                    undo,
                    reverses_id=7,
                ),
            ],
            hours=[BeanHours(date(2026, 1, 3), 1, Decimal("1.5"), "wrote")],
        )
    )
    assert "2026-01-02 commodity USD" in text
    assert "2026-01-02 open Income:MyBlog:Other USD" in text
    assert '2026-01-02 ! "ACME" "Sale" #MyBlog ^entry-7\n  entry: 7\n' in text
    assert '2026-01-03 ! "ACME" "Reversal of #7" #MyBlog ^entry-7\n' in text
    assert "  reverses: 7\n" in text
    assert "  reversed-by: 8\n" in text
    assert '  stream: "My Blog"\n' in text
    assert (
        '  Assets:Bank  10.50 USD\n    stream: "My Blog"\n  Income:MyBlog:Other  -10.50 USD' in text
    )
    assert text.endswith('2026-01-03 custom "hours" "My Blog" 1.50 "wrote"')


def _busy_journal(db: Database) -> None:
    """Income, costs, capital, pending entries, a reversal, two currencies, odd stream names,
    hours from a timedot log and rows from a bank import."""
    today = date(2026, 3, 1)
    with db.session() as session:
        blog = service.add_stream(
            session, service.StreamDraft('my "blog" & co.', StreamKind.ARTICLES), today
        )
        books = service.add_stream(
            session, service.StreamDraft("日本の本", StreamKind.ROYALTIES, "EUR"), today
        )
        twin = service.add_stream(
            session, service.StreamDraft("My-Blog: Co", StreamKind.OTHER), today
        )
        service.add_income(
            session, blog, date(2026, 1, 3), Decimal("120.50"), "Affiliate \\ payout"
        )
        service.add_cost(session, blog, date(2026, 1, 4), Decimal("12.3456"), "Hosting",
                         account="Expenses:Hosting")  # fmt: skip
        service.add_capital(session, blog, date(2026, 1, 1), Decimal(5000))
        service.add_capital(session, blog, date(2026, 2, 1), Decimal(-1000))
        service.add_income(
            session, books, date(2026, 1, 10), Decimal("80"), account="Income:Royalties"
        )
        service.add_income(session, twin, date(2026, 1, 11), Decimal("1"))
        pending = service.post(session, service.EntryDraft(
            date(2026, 1, 12), [Leg(BANK, Decimal(30), "USD", blog.id),
                                Leg("Income:Commissions", Decimal(-30), "USD", blog.id)],
            narration="Pending commission", payee="Impact", flag="!", source="networks",
            source_key="networks:earning:1:pending"))  # fmt: skip
        service.reverse(session, pending.id, date(2026, 1, 20), "declined")
        wrong = service.add_cost(session, books, date(2026, 1, 15), Decimal(9), "Typo")
        service.reverse(session, wrong.id, date(2026, 1, 16), "entered twice")
        import_hours(session, ["2026-01-05", 'my "blog" & co.  .... ..', "日本の本  2"], "timedot")


def test_an_exported_journal_passes_bean_check(db: Database, tmp_path: Path) -> None:
    checker = _bean_check()
    _busy_journal(db)
    out = io.StringIO()
    with db.session(writer=False) as session:
        count = write_beancount(session, out)
    assert count == 10
    text = out.getvalue()
    path = tmp_path / "journal.beancount"
    path.write_text(text, encoding="utf-8")
    checked = subprocess.run([checker, str(path)], capture_output=True, text=True, timeout=60,
                             check=False)  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr + text
    assert checked.stdout.strip() == ""
    assert checked.stderr.strip() == ""
    assert "open Income:MyBlogCo:Other USD" in text
    assert "open Income:MyBlogCo-3:Other USD" in text
    assert "open Income:Stream2:Royalties EUR" in text
    assert "commodity EUR" in text
    assert "open Equity:MyBlogCo:Capital USD" in text
    assert '2026-01-12 ! "Impact" "Pending commission" #MyBlogCo ^entry-' in text
    assert '"Reversal of #' in text
    assert "  reverses: " in text
    assert '  stream: "my \\"blog\\" & co."' in text
    assert '2026-01-05 custom "hours" "日本の本" 2.00' in text


def test_the_export_of_an_empty_journal_passes_bean_check(db: Database, tmp_path: Path) -> None:
    checker = _bean_check()
    path = tmp_path / "empty.beancount"
    with db.session(writer=False) as session, path.open("w", encoding="utf-8") as out:
        assert write_beancount(session, out) == 0
    checked = subprocess.run([checker, str(path)], capture_output=True, text=True, timeout=60,
                             check=False)  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
