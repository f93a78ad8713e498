"""The book's figures, read from each loan's stored position, equal the slow path on SQLite and
PostgreSQL: random books (draws, Dutch interest, default interest, late fees, prepayment terms,
payoffs, charge-offs and recoveries) priced loan by loan through the payoff quote, on days
before later movements too. And a worked example: the XIRR's terminal value is the payoff
quote's total, prepayment charge included."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from evergreen.db import Database
from evergreen.lending import queries, service
from evergreen.lending.models import Borrower, Loan, Movement
from evergreen.lending.rules import book_xirr, weighted_rate

D = Decimal
START = date(2026, 1, 1)
# Cash each movement brings in (+) or pays out (-), as a lender's bank statement shows it.
_CASH = {"funding": -1, "draw": -1, "closing": 1, "payment": 1, "payoff": 1, "recovery": 1}


def _notes(rng: random.Random) -> list[service.LoanDraft]:
    """Twelve notes of every kind, on random days of January and February."""
    draft = service.LoanDraft
    names = ("Ann", "Bob", "Cy")

    def day() -> date:
        return START + timedelta(days=rng.randrange(0, 50))

    def who() -> str:
        return rng.choice(names)

    return [
        draft(who(), "100000", "12%", 9, day(), day_count="actual/360", points="2"),
        draft(who(), "50000", "10%", 12, day(), default_rate="18%", default_after_days=30,
              late_fee="100", late_fee_pct="5%"),
        draft(who(), "80000", "11%", 10, day(), commitment="40000", draw_fee="150",
              day_count="actual/365", default_rate="16%", default_after_days=20),
        draft(who(), "90000", "11%", 10, day(), commitment="30000", dutch=True),
        draft(who(), "60000", "9%", 24, day(), interest_only=False, min_interest_months=6),
        draft(who(), "70000", "8%", 6, day(), interest_only=False, amortization_months=120,
              day_count="actual/365", prepay_pct="2", prepay_months=4),
        draft(who(), "20000", "14%", 6, day(), late_fee="50", default_rate="20%"),
        draft(who(), "30000", "13%", 4, day(), min_interest_months=3, prepay_pct="1",
              prepay_months=3, points="3", points_financed=True),
        draft(who(), "45000", "12.5%", 5, day(), min_interest_months=5, default_rate="19%",
              default_after_days=15),
        draft(who(), "65000", "10.75%", 8, day(), prepay_pct="3", prepay_months=8,
              day_count="actual/360"),
        draft(who(), "25000", "15%", 3, day()),
        draft(who(), "40000", "11%", 12, day(), commitment="20000", dutch=True,
              min_interest_months=4, default_rate="17%", default_after_days=45),
    ]  # fmt: skip


def _random_book(db: Database, seed: int) -> None:
    """The notes serviced at random day by day to September: payments in full, short,
    doubled and missed, draws, payoffs (with their prepayment charges), late fees, a
    charge-off and recoveries; the longer notes stay open (and some behind)."""
    rng = random.Random(seed)
    with db.session() as session:
        for name in ("Ann", "Bob", "Cy"):
            service.add_borrower(session, service.BorrowerDraft(name))
        ids = [service.add_loan(session, note).id for note in _notes(rng)]
    day = date(2026, 1, 20)
    while day < date(2026, 9, 1):
        with db.session() as session:
            for loan_id in ids:
                loan = session.get(Loan, loan_id)
                assert loan is not None
                if loan.status == "charged_off" and rng.random() < 0.1:
                    service.record_recovery(session, loan_id, day, str(rng.randrange(1, 50) * 100))
                if loan.status != "open" or day < loan.accrued_to or day < loan.start:
                    continue
                if loan_id == ids[6]:  # never pays: charged off in April
                    if day > date(2026, 4, 1):
                        service.charge_off(session, loan_id, day)
                    continue
                roll = rng.random()
                if roll < 0.35:
                    continue  # missed
                if loan.undrawn > 0 and roll < 0.5:
                    amount = str(min(loan.undrawn, D(rng.randrange(5, 20) * 1000)))
                    drawn = service.request_draw(session, loan_id, amount, day).draw
                    service.draw_action(session, drawn.id, "approve", day)
                    service.fund_draw(session, drawn.id, day)
                elif day > loan.maturity + timedelta(days=20) or (
                    roll > 0.97 and loan_id != ids[4]
                ):
                    service.pay_off(session, loan_id, day)
                else:
                    quote = service.quote(session, loan_id, day)  # less a prepayment charge:
                    owed = quote.total - quote.fees + loan.fees_due  # only a payoff pays it
                    wanted = (loan.next_amount or D(400)) * D(rng.choice(("0.4", "1", "1", "2")))
                    service.record_payment(session, loan_id, day, min(wanted.quantize(D("0.01")),
                                                                      owed))  # fmt: skip
                service.charge_late_fees(session, loan_id, day)
        day += timedelta(days=rng.randrange(4, 15))


def _slow(db: Database, day: date) -> dict[str, Any]:
    """The book on `day` the slow way: every loan open that day priced by its own payoff
    quote and view, the cash flows summed movement by movement."""
    with db.session(writer=False) as session:
        names = dict(session.execute(select(Borrower.id, Borrower.name)).all())
        loans = [x for x in session.scalars(select(Loan).order_by(Loan.id))
                 if x.start <= day and (x.closed_on is None or x.closed_on > day)]  # fmt: skip
        quotes = {loan.id: service.quote(session, loan.id, day) for loan in loans}
        views = {loan.id: queries.loan_detail(session, loan.id, day) for loan in loans}
        flows: dict[date, Decimal] = defaultdict(lambda: D(0))
        for m in session.scalars(select(Movement).where(Movement.on <= day)):
            flows[m.on] += _CASH.get(m.kind, 0) * m.amount
        flows[day] += sum((q.total for q in quotes.values()), D(0))
        deployed = sum((q.principal for q in quotes.values()), D(0))
        owed: dict[str, Decimal] = defaultdict(lambda: D(0))
        for loan in loans:
            owed[names[loan.borrower_id]] += quotes[loan.id].principal
        return {
            "deployed": deployed, "loans": len(loans),
            "xirr": book_xirr(sorted(flows.items())),
            "weighted_rate": weighted_rate([(quotes[x.id].principal, x.annual_rate)
                                            for x in loans]),
            "buckets": {**dict.fromkeys(("current", "30", "60", "90+"), 0),
                        **Counter(v.bucket for v in views.values())},
            "maturities": sorted(((x.id, names[x.borrower_id], x.maturity,
                                   quotes[x.id].principal) for x in loans if x.maturity >= day),
                                 key=lambda m: (m[2], m[0])),
            "concentration": sorted(((b, v, (v / deployed).quantize(D("0.0001")))
                                     for b, v in owed.items()), key=lambda c: -c[1]),
            "lines": [(x.id, quotes[x.id].principal, views[x.id].days_past_due,
                       views[x.id].bucket, quotes[x.id].total) for x in loans],
        }  # fmt: skip


def _fast(db: Database, day: date) -> dict[str, Any]:
    with db.session(writer=False) as session:
        book = queries.portfolio(session, day)
    return {
        "deployed": book.deployed, "loans": book.loans, "xirr": book.xirr,
        "weighted_rate": book.weighted_rate, "buckets": book.buckets,
        "maturities": book.maturities, "concentration": book.concentration,
        "lines": [(x.id, x.balance, x.days_past_due, x.bucket, x.payoff) for x in book.lines],
    }  # fmt: skip


@pytest.mark.parametrize("seed", [3, 11])
def test_the_books_figures_equal_each_loan_priced_by_its_payoff_quote(
    db: Database, seed: int
) -> None:
    _random_book(db, seed)
    with db.session(writer=False) as session:
        kinds = set(session.scalars(select(Movement.kind)))
        statuses = set(session.scalars(select(Loan.status)))
        terms = {loan.id: loan.maturity for loan in session.scalars(select(Loan))
                 if loan.min_interest_months or loan.prepay_pct}  # fmt: skip
    # The paths the book must agree on, all taken.
    assert {"draw", "fee", "payoff", "payment", "charge_off", "recovery"} <= kinds
    assert {"paid_off", "charged_off"} <= statuses
    late = prepaying = 0
    day = date(2026, 1, 10)
    while day < date(2026, 10, 15):
        fast, slow = _fast(db, day), _slow(db, day)
        assert fast == slow, day
        late += sum(1 for line in fast["lines"] if line[2] > 0)
        prepaying += sum(1 for line in fast["lines"] if line[0] in terms and day < terms[line[0]])
        day += timedelta(days=5 + day.toordinal() % 8)  # 5 to 12 days: every weekday comes up
    assert late > 0  # some days found loans behind, so lateness was compared too
    assert prepaying > 0  # and loans whose payoff carried prepayment terms


def test_the_books_xirr_counts_each_open_loan_at_its_payoff_with_the_prepayment_charge(
    db: Database,
) -> None:
    """100,000 at 12 % funded on Jan 15 with three months' minimum interest and a 1 % premium
    in the first three months; 1,000 of interest paid on Feb 15. On Feb 15 the payoff is
    100,000 + (3,000 minimum - 1,000 earned) + 1,000 premium = 103,000, so the book's flows
    are -100,000 on Jan 15 and 1,000 + 103,000 on Feb 15: XIRR = 1.04 ** (365 / 31) - 1
    (without the charge it would be 1.01 ** (365 / 31) - 1). A payoff made later, with its
    charge, leaves that day's figures as they were."""
    with db.session() as session:
        loan_id = service.add_loan(session, service.LoanDraft(
            "Rehab Co", "100000", "12", 12, date(2026, 1, 15), min_interest_months=3,
            prepay_pct="1", prepay_months=3), new_borrower=True).id  # fmt: skip
        service.record_payment(session, loan_id, date(2026, 2, 15), "1000")
    feb = date(2026, 2, 15)
    with db.session(writer=False) as session:
        book = queries.portfolio(session, feb)
        quote = service.quote(session, loan_id, feb)
    assert (quote.principal, quote.interest, quote.fees, quote.total) == (
        D(100000), D(0), D(3000), D(103000))  # fmt: skip
    assert [(line.id, line.payoff) for line in book.lines] == [(loan_id, D(103000))]
    assert book.xirr == pytest.approx(1.04 ** (365 / 31) - 1, rel=1e-9)
    with db.session() as session:
        service.pay_off(session, loan_id, date(2026, 3, 1))
    with db.session(writer=False) as session:
        again = queries.portfolio(session, feb)
        assert service.quote(session, loan_id, feb).total == D(103000)
        assert queries.loan_detail(session, loan_id, feb).payoff == D(103000)
        assert queries.portfolio(session, date(2026, 3, 1)).loans == 0
    assert (again.xirr, again.lines) == (book.xirr, book.lines)
