"""What the stream page's forms (and every caller of the posting service) refuse: an amount too
large for the daily rollup (was a 500), income posted to an Expenses account or a cost to an
Income account (counted as a negative cost or negative income), and a day no report can show
(9999-12-31 was stored and then counted nowhere). Rules without a database; the page and the
service on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from evergreen.db import Database
from evergreen.ledger import queries, service
from evergreen.ledger.errors import LedgerInputError
from evergreen.ledger.models import DailyFigures, HoursEntry, JournalEntry, Stream
from evergreen.ledger.rules import (
    Rates,
    StreamKind,
    check_account_in,
    check_entry_day,
    check_rollup_amount,
)
from tests.http_helpers import csrf_from, sign_in

D = Decimal


@pytest.mark.parametrize(
    ("account", "root"),
    [("Expenses:Foo", "Income"), ("Assets:Equipment:Camera", "Income"),
     ("Income:Royalties", "Expenses"), ("Equity:Capital", "Expenses")],
)  # fmt: skip
def test_income_and_costs_stay_in_their_own_accounts(account: str, root: str) -> None:
    with pytest.raises(LedgerInputError) as refused:
        check_account_in(account, root)
    assert refused.value.field == "account"
    assert f"is not under {root}" in refused.value.message


def test_an_account_of_its_own_family_passes() -> None:
    assert check_account_in("Income:Royalties", "Income") == "Income:Royalties"
    assert check_account_in("Expenses:Hosting-EU", "Expenses") == "Expenses:Hosting-EU"


@pytest.mark.parametrize("amount", [D(10) ** 12, D(-(10**12)), D("999999999999999")])
def test_an_amount_the_rollup_cannot_add_up_is_refused(amount: Decimal) -> None:
    with pytest.raises(LedgerInputError, match="too large: the ledger takes amounts under"):
        check_rollup_amount(amount)


def test_the_largest_amount_the_rollup_takes() -> None:
    largest = D("999999999999.9999")
    assert check_rollup_amount(largest) == largest
    assert check_rollup_amount(-largest) == -largest


@pytest.mark.parametrize("day", [date(9999, 12, 31), date(1899, 12, 31), date(2200, 1, 1)])
def test_a_day_no_report_can_show_is_refused(day: date) -> None:
    with pytest.raises(LedgerInputError, match="is outside 1900-01-01 to 2199-12-31"):
        check_entry_day(day)


def _blog(db: Database) -> int:
    with db.session() as session:
        service.set_preferences(session, hourly_rate=D(50), required_return=D("0.10"))
        blog = service.add_stream(
            session, service.StreamDraft("Blog", StreamKind.AFFILIATE), date(2026, 1, 1)
        )
        service.add_income(session, blog, date(2026, 3, 2), D(100))
        return blog.id


def _counts(db: Database) -> tuple[int, int, int]:
    with db.session() as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(table)) or 0
            for table in (JournalEntry, HoursEntry, DailyFigures)
        )


REFUSED = [
    ("income", {"amount": "999999999999999"}, "amount: 999,999,999,999,999 is too large"),
    ("costs", {"amount": "1000000000000"}, "amount: 1,000,000,000,000 is too large"),
    ("capital", {"amount": "999999999999999", "direction": "in"}, "is too large"),
    ("income", {"amount": "5", "account": "Expenses:Foo"},
     "account: &#39;Expenses:Foo&#39; is not under Income"),
    ("costs", {"amount": "5", "account": "Income:Royalties"},
     "account: &#39;Income:Royalties&#39; is not under Expenses"),
    ("income", {"amount": "5", "date": "9999-12-31"}, "date: 9999-12-31 is outside"),
    ("costs", {"amount": "5", "date": "1899-12-31"}, "date: 1899-12-31 is outside"),
    ("capital", {"amount": "5", "direction": "in", "date": "2999-01-01"}, "is outside"),
    ("hours", {"hours": "2", "date": "9999-12-31"}, "date: 9999-12-31 is outside"),
]  # fmt: skip


@pytest.mark.parametrize(("form", "values", "message"), REFUSED)
def test_the_stream_page_refuses_with_the_field_and_stores_nothing(
    client: TestClient, db: Database, people: dict[str, str],
    form: str, values: dict[str, str], message: str,
) -> None:  # fmt: skip
    blog = _blog(db)
    sign_in(client, people["owner"])
    token = csrf_from(client.get(f"/ledger/streams/{blog}").text)
    before = _counts(db)
    answer = client.post(
        f"/ledger/streams/{blog}/{form}",
        data={"csrf_token": token, "date": "2026-03-05", **values},
        follow_redirects=False,
    )
    assert answer.status_code == 400, answer.text[:300]
    assert message in answer.text
    assert _counts(db) == before
    page = client.get(f"/ledger/streams/{blog}?from=2026-03-01&to=2026-03-31")
    assert page.status_code == 200  # the figures still add up


def test_the_rollup_adds_up_many_of_the_largest_amounts_on_one_day(db: Database) -> None:
    """Ten of the largest on one day and the period's sum stay exact (15 digits overflowed)."""
    blog_id = _blog(db)
    largest = D("999999999999.9999")
    with db.session() as session:
        blog = session.get(Stream, blog_id)
        assert blog is not None
        for _ in range(10):
            service.add_income(session, blog, date(2026, 3, 9), largest)
        figures = queries.stream_figures(
            session, [blog], date(2026, 3, 1), date(2026, 3, 31), Rates(D(50), D("0.10"))
        )[blog_id]
    assert figures.income == 10 * largest + 100
