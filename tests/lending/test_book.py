"""What the owner's pages read, on SQLite and PostgreSQL: the book's view of every loan (summed
in the database) equals the loan's own detail on any day, and borrowers and properties change."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from evergreen.db import Database
from evergreen.errors import Conflict, NotFound
from evergreen.lending import queries, service
from evergreen.lending.errors import LendingInputError


def _book(db: Database) -> list[int]:
    """Loans in every state: paying, behind, with draws, with default interest, paid off,
    charged off; their ids."""
    with db.session() as session:
        service.add_borrower(session, service.BorrowerDraft("Ann"))
        service.add_borrower(session, service.BorrowerDraft("Bob", "llc"))
        home = service.add_property(
            session, service.PropertyDraft("1 Elm St", "100000", "40000", "200000")
        )
        draft = service.LoanDraft
        paying = service.add_loan(session, draft("Ann", "100000", "12%", 12, date(2026, 1, 1),
                                                 points="2", day_count="actual/360"))  # fmt: skip
        behind = service.add_loan(session, draft("Bob", "50000", "10%", 12, date(2026, 1, 10),
                                                 default_rate="18%", default_after_days=30,
                                                 late_fee="100"))  # fmt: skip
        drawn = service.add_loan(session, draft("Bob", "80000", "11%", 12, date(2026, 1, 5),
                                                commitment="40000", draw_fee="150",
                                                property_id=home.id))  # fmt: skip
        amortising = service.add_loan(session, draft("Ann", "60000", "9%", 24, date(2026, 1, 1),
                                                     interest_only=False))  # fmt: skip
        lost = service.add_loan(session, draft("Ann", "20000", "14%", 6, date(2026, 1, 1)))
        for month in (2, 3, 4):
            service.record_payment(session, paying.id, date(2026, month, 1), "1033.33")
            service.record_payment(session, amortising.id, date(2026, month, 1), "2741.05")
        service.record_payment(session, behind.id, date(2026, 2, 10), "416.67")
        draw = service.request_draw(session, drawn.id, "15000", date(2026, 2, 1)).draw
        service.draw_action(session, draw.id, "approve", date(2026, 2, 2))
        service.fund_draw(session, draw.id, date(2026, 2, 3))
        service.record_payment(session, drawn.id, date(2026, 3, 5), "1500")
        service.charge_late_fees(session, behind.id, date(2026, 4, 1))
        service.charge_off(session, lost.id, date(2026, 3, 1))
        service.pay_off(session, paying.id, date(2026, 4, 20))
        return [paying.id, behind.id, drawn.id, amortising.id, lost.id]


def test_the_books_view_of_each_loan_is_the_loans_own_on_any_day(db: Database) -> None:
    ids = _book(db)
    for day in (date(2026, 1, 20), date(2026, 2, 15), date(2026, 3, 3), date(2026, 4, 5),
                date(2026, 5, 1)):  # fmt: skip
        with db.session(writer=False) as session:
            book = queries.portfolio(session, day)
            views = queries.loan_views(session, [line.id for line in book.lines], day)
            shown = {view.id: view.to_dict() for view in views}
            own = {i: queries.loan_detail(session, i, day).to_dict() for i in ids if i in shown}
        assert shown == own, day
        # The book's line of each loan (read from its row) is what its full view says.
        assert [(line.id, line.balance, line.days_past_due, line.bucket, line.payoff)
                for line in book.lines] == [(v.id, v.balance, v.days_past_due, v.bucket, v.payoff)
                                            for v in views]  # fmt: skip
        assert book.deployed == sum((Decimal(v["balance"]) for v in shown.values()), Decimal(0))
    with db.session(writer=False) as session:
        may = queries.portfolio(session, date(2026, 5, 1))
    # Paid off in April and charged off in March: three loans left, one of them behind.
    assert [line.id for line in may.lines] == [ids[1], ids[2], ids[3]]
    assert may.buckets["current"] + may.buckets["30"] + may.buckets["60"] + may.buckets["90+"] == 3
    assert next(line for line in may.lines if line.id == ids[1]).days_past_due > 30


def test_borrowers_and_properties_are_changed_and_listed(db: Database) -> None:
    ids = _book(db)
    with db.session() as session:
        bob = service.borrower_named(session, "Bob")
        assert bob is not None
        with pytest.raises(Conflict, match="exists already"):
            service.update_borrower(session, bob.id, service.BorrowerDraft("ann"))
        service.update_borrower(
            session, bob.id, service.BorrowerDraft("Bob Builder LLC", "llc", "b@example.com")
        )
        home = service.properties(session)[0]
        with pytest.raises(LendingInputError, match="1 to 300"):
            service.update_property(session, home.id, service.PropertyDraft("  "))
        service.update_property(session, home.id, service.PropertyDraft("2 Elm St", arv="250000"))
    with db.session(writer=False) as session:
        rows = {row.name: row for row in queries.borrower_rows(session)}
        assert list(rows) == ["Ann", "Bob Builder LLC"]
        # Bob's two open loans: 50,000 and 80,000 with a 15,000 draw (less what was repaid).
        drawn = service.get_loan(session, ids[2])
        assert rows["Bob Builder LLC"].loans == 2
        assert rows["Bob Builder LLC"].open_balance == Decimal(50000) + drawn.balance
        assert rows["Ann"].loans == 3
        place = service.get_property(session, home.id)
        assert (place.address, place.purchase_price, place.arv) == ("2 Elm St", None, 250000)
        with pytest.raises(NotFound):
            queries.draw(session, 999_999)
        with pytest.raises(NotFound):
            service.get_borrower(session, 999_999)
        assert [d.status for d in queries.draws(session, ids[2])] == ["funded"]
        kinds = [m.kind for m in queries.movements(session, ids[2])]
        assert kinds == ["funding", "draw", "fee", "payment"]


def test_idle_capital_is_what_the_owner_set_aside_less_what_is_deployed(db: Database) -> None:
    _book(db)
    day = date(2026, 5, 1)
    with db.session(writer=False) as session:
        assert queries.portfolio(session, day).idle is None  # not said
        assert service.capital_available(session) is None
    with db.session() as session:
        with pytest.raises(LendingInputError, match="at least 0") as refused:
            service.set_capital_available(session, "-5")
        assert refused.value.field == "capital_available"
        assert service.set_capital_available(session, "500000") == Decimal(500000)
    with db.session(writer=False) as session:
        book = queries.portfolio(session, day)
        assert book.idle == Decimal(500000) - book.deployed
        assert book.to_dict()["idle"] == f"{Decimal(500000) - book.deployed:.2f}"
    with db.session() as session:
        assert service.set_capital_available(session, " ") is None  # forgotten again
    with db.session(writer=False) as session:
        assert queries.portfolio(session, day).idle is None
