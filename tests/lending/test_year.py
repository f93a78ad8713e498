"""A year of a lending book reconciled to the cent through the ledger, on SQLite and PostgreSQL.

Four loans through 2025: an interest-only note with points paid at closing, paid monthly and
paid off early; a construction loan with two draws, their fees, and a late payment that earns a
late fee; an amortising note that stops paying, is charged off and partly recovered; a note with
financed points, extended for a fee. The ledger's income, costs and capital for each loan's
stream must equal the sums of the loan's movements, and the first loan's income must equal an
independent computation of its interest (2,000 a month on 30/360, 5 days' interest at payoff).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.db import Database
from evergreen.finance.loans.daycount import add_months
from evergreen.ledger.models import Posting
from evergreen.ledger.queries.figures import capital_at
from evergreen.ledger.queries.rollup import sums
from evergreen.lending import queries, service
from evergreen.lending.models import Loan, Movement

D = Decimal
YEAR_START, YEAR_END = date(2025, 1, 1), date(2025, 12, 31)


def _add(session: Session, **fields: object) -> int:
    draft = service.LoanDraft(**fields)  # type: ignore[arg-type]
    return service.add_loan(session, draft, new_borrower=True).id


def _book(db: Database) -> dict[str, int]:
    with db.session() as session:
        site = service.PropertyDraft("9 Oak Ave", "200000", "60000", "340000")
        prop = service.add_property(session, site).id
        return {
            "flip": _add(session, borrower="Flip LLC", principal="200000", annual_rate="12",
                         months=12, start=date(2025, 1, 15), points="2"),
            "build": _add(session, borrower="Build Co", principal="150000", annual_rate="0.11",
                          months=12, start=date(2025, 2, 1), day_count="actual/360",
                          commitment="60000", draw_fee="100", late_fee="50", grace_days=10,
                          property_id=prop),
            "bad": _add(session, borrower="Shaky Inc", principal="80000", annual_rate="10%",
                        months=24, start=date(2025, 1, 10), day_count="actual/365",
                        interest_only=False, amortization_months=240, late_fee="35",
                        default_rate="18", default_after_days=30),
            "ext": _add(session, borrower="Flip LLC", principal="100000", annual_rate="9",
                        months=9, start=date(2025, 3, 1), points="3", points_financed=True),
        }  # fmt: skip


def _run_year(db: Database, ids: dict[str, int]) -> None:
    """Each day of 2025: draws, payments of what the calendar asks, the daily late-fee run."""
    draws = {date(2025, 3, 5): ("build", "25000"), date(2025, 6, 10): ("build", "30000")}
    day = YEAR_START
    while day <= YEAR_END:
        with db.session() as session:
            if day in draws:
                name, amount = draws[day]
                asked = service.request_draw(session, ids[name], amount, day - timedelta(days=4))
                draw = asked.draw
                service.draw_action(session, draw.id, "inspect", day - timedelta(days=2))
                service.draw_action(session, draw.id, "approve", day - timedelta(days=1))
                service.fund_draw(session, draw.id, day)
            for name, loan_id in ids.items():
                _pay(session, name, loan_id, day)
            for loan_id in service.open_loan_ids(session):
                service.charge_late_fees(session, loan_id, day)
        day += timedelta(days=1)


def _pay(session: Session, name: str, loan_id: int, day: date) -> None:
    loan = session.get(Loan, loan_id)
    assert loan is not None
    if loan.status != "open" or day <= loan.start:
        return
    if name == "flip" and day == date(2025, 12, 20):
        service.pay_off(session, loan_id, day)
        return
    if name == "bad" and day == date(2025, 7, 1):
        service.charge_off(session, loan_id, day)
        return
    if name == "ext" and day == date(2025, 11, 1):
        service.extend(session, loan_id, date(2026, 6, 1), "1000", day)
    k = (day.year - loan.start.year) * 12 + day.month - loan.start.month
    if k < 1 or add_months(loan.start, k) != day:
        return
    if name == "bad" and k > 3:
        return  # stops paying after three payments
    if name == "build" and k == 5:
        return  # June's payment is late: a late fee, both paid in July
    view = queries.loan_detail(session, loan_id, day)
    amount = view.due_now + view.fees  # in July, June's payment too, and its late fee
    if amount > 0:
        service.record_payment(session, loan_id, day, min(amount, view.payoff))


def test_a_year_of_loans_reconciles_to_the_cent_through_the_ledger(db: Database) -> None:
    ids = _book(db)
    _run_year(db, ids)
    with db.session(writer=False) as session:
        loans = {name: session.get(Loan, loan_id) for name, loan_id in ids.items()}
        assert {name: loan.status for name, loan in loans.items() if loan} == {
            "flip": "paid_off", "build": "open", "bad": "charged_off", "ext": "open"}  # fmt: skip
        moves: dict[int, list[Movement]] = defaultdict(list)
        for m in session.scalars(select(Movement).order_by(Movement.id)):
            moves[m.loan_id].append(m)
        stream_ids = [loan.stream_id for loan in loans.values() if loan and loan.stream_id]
        assert len(set(stream_ids)) == 4
        figures = sums(session, stream_ids, YEAR_START, YEAR_END)
        for name, loan in loans.items():
            assert loan is not None
            assert loan.stream_id is not None
            mine = moves[loan.id]
            income = sum((m.interest + m.default_interest + m.points for m in mine), D(0))
            income += sum((m.fees for m in mine if m.kind in ("fee", "closing")), D(0))
            income += sum((m.amount for m in mine if m.kind == "recovery"), D(0))
            losses = sum((m.amount for m in mine if m.kind == "charge_off"), D(0))
            sign = {"funding": 1, "draw": 1, "payment": -1, "payoff": -1, "charge_off": -1}
            owed = sum((sign.get(m.kind, 0) * m.principal for m in mine), D(0))
            got_income, got_costs, _moves = figures[loan.stream_id]
            assert (name, got_income) == (name, income)
            assert (name, got_costs) == (name, losses)
            assert (name, capital_at(session, _stream(session, loan.stream_id), YEAR_END)) == (
                name, owed)  # fmt: skip
            assert owed == loan.balance
            in_bank = (Posting.stream_id == loan.stream_id, Posting.account == "Assets:Bank")
            bank = session.scalars(select(Posting.amount).where(*in_bank)).all()
            cash = {"funding": -1, "draw": -1, "closing": 1, "payment": 1, "payoff": 1,
                    "recovery": 1}  # fmt: skip
            assert sum(bank, D(0)) == sum((cash.get(m.kind, 0) * m.amount for m in mine), D(0))
        flip = figures[loans["flip"].stream_id][0]  # type: ignore[union-attr,index]
        # Independent: 4,000 of points, 11 months of 200,000 * .12 / 12, 5 days at 66.67 a day.
        assert flip == D(4000) + 11 * D(2000) + D("333.33")
        build = moves[ids["build"]]
        assert [m.amount for m in build if m.kind == "fee"] == [D(100), D(100), D(50)]
        bad = moves[ids["bad"]]
        assert [m.kind for m in bad].count("fee") == 2  # May's and June's payments missed
        # In default from May 10 (30 days late by June 9): 18 % instead of 10 % before the
        # charge-off, none of it ever received, so none of it in the ledger.
        before = service.quote(session, ids["bad"], date(2025, 6, 30))
        assert before.default_interest > 0
        assert sum((m.default_interest for m in bad), D(0)) == 0
        book = queries.portfolio(session, YEAR_END)
        assert book.deployed == loans["build"].balance + loans["ext"].balance  # type: ignore[union-attr]
        assert book.loans == 2
        # Excel's XIRR: the rate at which the flows' XNPV (actual/365 years) is zero. The flows,
        # built here from the movements: cash out and in, and the open loans' payoffs on Dec 31.
        flows = [(m.on, cash.get(m.kind, 0) * m.amount) for ms in moves.values() for m in ms]
        flows += [
            (YEAR_END, service.quote(session, ids[n], YEAR_END).total) for n in ("build", "ext")
        ]
        assert book.xirr is not None
        assert book.xirr < 0  # the charge-off lost more than the book earned
        first = min(day for day, _ in flows)
        xnpv = sum(float(a) / (1 + book.xirr) ** ((d - first).days / 365) for d, a in flows)
        assert abs(xnpv) < 0.01


def _stream(session: Session, stream_id: int):  # type: ignore[no-untyped-def]
    from evergreen.ledger.models import Stream

    return session.get(Stream, stream_id)
