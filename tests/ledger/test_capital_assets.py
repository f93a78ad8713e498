"""Capital employed = money put in (net) + the balances of the stream's non-money Assets
accounts: the pure rule, the rollup and figures on SQLite and PostgreSQL, the stream's value,
and a hand-computed capital charge with an asset purchase."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from evergreen.db import Database
from evergreen.ledger import queries, service
from evergreen.ledger.errors import LedgerInputError
from evergreen.ledger.models import DailyFigures, JournalEntry, Posting
from evergreen.ledger.rules import (
    ASSETS_PUT_IN,
    BANK,
    CAPITAL,
    Figure,
    Leg,
    Rates,
    StreamKind,
    counted,
    daily_figures,
    figure_of,
    from_units,
    is_capital_asset,
)
from evergreen.ledger.rules.residual import capital_charge

D = Decimal
RATES = Rates(D(0), D("0.10"))
CAMERA = "Assets:Equipment:Camera"


@pytest.mark.parametrize(
    ("account", "capital"),
    [
        ("Assets:Equipment:Camera", True),
        ("Assets:Loans:Smith", True),
        ("Assets:Inventory", True),
        ("Assets:Bank", False),
        ("Assets:Bank:PayPal", False),
        ("Assets:Cash", False),
        ("Assets:Savings", False),
        ("Assets:Checking:Joint", False),
        ("Assets:Receivable:Networks", False),
        ("Assets:PayPal", False),  # a processor balance is money
        ("Assets:Stripe:Payouts", False),
        ("Assets:Property:Duplex", True),
        ("Assets:Investments:Index-Fund", True),
        ("Assets:Equipmentless", False),  # a name that only starts like a capital account
        ("Liabilities:Card", False),
        ("Equity:Capital", False),
        ("Income:Sales", False),
    ],
)
def test_which_accounts_hold_capital_as_assets(account: str, capital: bool) -> None:
    assert is_capital_asset(account) is capital


def test_assets_and_money_put_in_are_capital_counted_with_their_own_sign() -> None:
    assert figure_of(CAMERA) is Figure.CAPITAL
    assert figure_of(BANK) is None
    assert figure_of(ASSETS_PUT_IN) is None  # the asset counts, not the equity behind it
    assert counted(CAMERA, D(900)) == D(900)  # an asset is a debit: counted as posted
    assert counted(CAPITAL, D(-500)) == D(500)  # money put in is a credit: turned
    assert counted("Income:Sales", D(-20)) == D(20)
    assert counted("Expenses:Fees", D(3)) == D(3)
    assert counted(BANK, D(7)) == D(0)


@pytest.mark.parametrize(
    ("legs", "capital"),
    [
        # bought with the stream's money: +900 of capital, the bank is not capital
        ([Leg(CAMERA, D(900), "USD", 1), Leg(BANK, D(-900), "USD", 1)], D(900)),
        # put in by the owner: counted once, as the asset
        ([Leg(CAMERA, D(900), "USD", 1), Leg(ASSETS_PUT_IN, D(-900), "USD", 1)], D(900)),
        # written down: a cost, and the capital falls by as much
        ([Leg("Expenses:Depreciation", D(100), "USD", 1), Leg(CAMERA, D(-100), "USD", 1)],
         D(-100)),
        # money put in
        ([Leg(BANK, D(500), "USD", 1), Leg(CAPITAL, D(-500), "USD", 1)], D(500)),
        # a loan repaid: the loan asset falls, the bank rises
        ([Leg(BANK, D(250), "USD", 1), Leg("Assets:Loans:Smith", D(-250), "USD", 1)], D(-250)),
    ],
)  # fmt: skip
def test_daily_figures_count_capital_moved_by_assets(legs: list[Leg], capital: Decimal) -> None:
    ((_income, _costs, moved, _count),) = daily_figures(date(2026, 1, 1), legs).values()
    assert moved == capital


@settings(max_examples=60, deadline=None)
@given(
    price=st.integers(min_value=1, max_value=10**7).map(lambda c: D(c) / 100),
    put_in=st.integers(min_value=0, max_value=10**7).map(lambda c: D(c) / 100),
    bought=st.integers(min_value=0, max_value=364),
    rate=st.integers(min_value=0, max_value=300).map(lambda b: D(b) / 1000),
)
def test_capital_charge_with_an_asset_purchase_equals_the_hand_computation(
    price: Decimal, put_in: Decimal, bought: int, rate: Decimal
) -> None:
    """Money put in on day 0 and an asset bought from the stream's money on day `bought`:
    capital is put_in every day and put_in + price from that day on, so the charge is
    (365 x put_in + (365 - bought) x price) x r / 365."""
    start = date(2025, 1, 1)
    on = start + timedelta(days=bought)
    changes: dict[date, Decimal] = {}
    for day, legs in (
        (start, [Leg(BANK, put_in, "USD", 1), Leg(CAPITAL, -put_in, "USD", 1)]),
        (on, [Leg(CAMERA, price, "USD", 1), Leg(BANK, -price, "USD", 1)]),
    ):
        for (_s, _d, _c), (_i, _k, moved, _n) in daily_figures(day, legs).items():
            changes[day] = changes.get(day, D(0)) + moved
    charge = capital_charge(D(0), changes, start, date(2025, 12, 31), rate)
    assert charge == (365 * put_in + (365 - bought) * price) * rate / 365


def _stream(db: Database, name: str = "Studio") -> int:
    with db.session() as session:
        draft = service.StreamDraft(name, StreamKind.SERVICE, "USD", date(2025, 1, 1))
        return service.add_stream(session, draft, date(2025, 1, 1)).id


def test_an_asset_bought_enters_capital_charge_value_and_the_split(db: Database) -> None:
    """10,000 put in on Jan 1; a 3,650 camera bought on Jul 1 from the stream's money; 365
    written down on Oct 1; a 1,000 lens put in by the owner on Dec 1."""
    stream_id = _stream(db)
    year = (date(2025, 1, 1), date(2025, 12, 31))
    with db.session() as session:
        stream = service.get_stream(session, stream_id)
        service.add_capital(session, stream, date(2025, 1, 1), D(10_000))
        service.add_asset(session, stream, date(2025, 7, 1), D(3_650), CAMERA)
        service.post(session, service.EntryDraft(date(2025, 10, 1), [
            Leg("Expenses:Depreciation", D(365), "USD", stream_id),
            Leg(CAMERA, D(-365), "USD", stream_id),
        ], narration="Camera written down"))  # fmt: skip
        service.add_asset(session, stream, date(2025, 12, 1), D(1_000), "Assets:Equipment:Lens",
                          paid_by="owner")  # fmt: skip
        service.add_income(session, stream, date(2025, 12, 15), D(5_000))
    with db.session() as session:
        stream = service.get_stream(session, stream_id)
        figures = queries.stream_figures(session, [stream], *year, RATES)[stream_id]
        # days: Jan 1-Jun 30 = 181 at 10,000; Jul 1-Sep 30 = 92 at 13,650;
        # Oct 1-Nov 30 = 61 at 13,285; Dec 1-31 = 31 at 14,285
        days = 181 * D(10_000) + 92 * D(13_650) + 61 * D(13_285) + 31 * D(14_285)
        assert figures.capital_charge == days * D("0.10") / 365
        assert figures.costs == D(365)
        split = queries.capital_split(session, stream, year[1])
        assert split.total == D(14_285)
        assert split.contributed == D(10_000)
        assert split.assets == ((CAMERA, D(3_285)), ("Assets:Equipment:Lens", D(1_000)))
        before = queries.capital_split(session, stream, date(2025, 6, 30))
        assert (before.total, before.in_assets) == (D(10_000), D(0))
        value = queries.valuation(session, stream, year[1], RATES, D(0))
        assert value.capital == D(14_285)
        shown = value.to_dict()
        assert shown["capital_contributed"] == "10000.00"
        assert shown["capital_assets"] == "4285.00"
        assert value.value == D(14_285) + value.residual_income_ttm / D("1.10")
        # every posting behind the capital figure, counted as the rollup counts it, sums to it
        lines = queries.entries_behind(session, stream, *year, Figure.CAPITAL)
        assert sum(counted(line.account, line.amount) for line in lines) == D(14_285)
        kept = session.scalars(select(DailyFigures).where(DailyFigures.stream_id == stream_id))
        assert sum(from_units(row.capital_units) for row in kept) == D(14_285)


def test_the_rollup_counts_assets_as_a_recomputation_from_postings_does(db: Database) -> None:
    stream_id = _stream(db)
    with db.session() as session:
        stream = service.get_stream(session, stream_id)
        service.add_asset(session, stream, date(2025, 3, 1), D("1200.50"), "Assets:Inventory")
        entry = service.add_asset(session, stream, date(2025, 3, 2), D(800), "Assets:Loans:Smith")
        service.reverse(session, entry.id, date(2025, 3, 5))
        service.post_many(session, [service.EntryDraft(date(2025, 3, 3), [
            Leg("Assets:Loans:Jones", D(400), "USD", stream_id),
            Leg(BANK, D(-400), "USD", stream_id),
        ])])  # fmt: skip
    with db.session() as session:
        recomputed: dict[date, Decimal] = {}
        for day, posting in session.execute(
            select(JournalEntry.date, Posting).join(Posting).where(JournalEntry.flag == "*")
        ):
            recomputed[day] = recomputed.get(day, D(0)) + counted(posting.account, posting.amount)
        kept = {
            row.day: from_units(row.capital_units) for row in session.scalars(select(DailyFigures))
        }
        assert kept == recomputed
        assert kept[date(2025, 3, 5)] == D(-800)
        stream = service.get_stream(session, stream_id)
        assert queries.capital_split(session, stream, date(2025, 3, 31)).assets == (
            ("Assets:Inventory", D("1200.50")),
            ("Assets:Loans:Jones", D(400)),
        )


@pytest.mark.parametrize(
    ("account", "paid_by", "field"),
    [(BANK, "stream", "account"), ("Income:Sales", "stream", "account"),
     (CAMERA, "friend", "paid_by"), ("Assets:camera", "stream", "account")],
)  # fmt: skip
def test_an_asset_entry_refuses_money_accounts_and_unknown_payers(
    db: Database, account: str, paid_by: str, field: str
) -> None:
    stream_id = _stream(db)
    with db.session() as session:
        stream = service.get_stream(session, stream_id)
        with pytest.raises(LedgerInputError) as refused:
            service.add_asset(session, stream, date(2025, 1, 1), D(5), account, paid_by=paid_by)
        assert refused.value.field == field
        assert session.scalar(select(JournalEntry.id)) is None
