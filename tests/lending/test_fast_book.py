"""The book reads where each loan's payments stand from the loan's row: on SQLite and PostgreSQL,
every service path keeps that row as a walk of the calendar would find it, the book's figures
equal a full replay of the movements on many days, and the migration fills it the same way."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from alembic import command
from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen import migrate
from evergreen.db import Database
from evergreen.lending import queries, service
from evergreen.lending.models import Loan
from evergreen.lending.rules import (
    accrue,
    bucket,
    days_past_due,
    expected_calendar,
    payoff_quote,
    schedule_position,
)
from evergreen.lending.rules.amounts import ZERO
from evergreen.lending.rules.replay import replay
from evergreen.lending.service.records import default_start, facts_of, funded_draws, terms_of

START = date(2026, 1, 1)


def _walked(session: Session, loan: Loan) -> tuple[date | None, Decimal]:
    """The position by walking the whole calendar against every payment (the slow way)."""
    if loan.status != "open":
        return None, ZERO
    paid = sum((f.toward_schedule for f in facts_of(session, loan.id)), ZERO)
    return schedule_position(expected_calendar(terms_of(loan), funded_draws(session, loan.id)),
                             paid)  # fmt: skip


def _replayed(session: Session, loan: Loan, day: date) -> dict[str, Any]:
    """A loan's figures on `day` by replaying its movements and walking its calendar."""
    terms, facts, draws = terms_of(loan), facts_of(session, loan.id), funded_draws(session, loan.id)
    paid = sum((f.toward_schedule for f in facts if f.on <= day), ZERO)
    rows = expected_calendar(terms, draws)

    def start(on: date) -> date | None:
        return default_start(terms, facts, draws, on)

    state = accrue(replay(terms, facts, day, start), terms, day, start(day))
    quote = payoff_quote(state, terms, day, start(day))
    late, (next_due, next_amount), due_now = 0, (None, ZERO), ZERO
    if loan.status == "open":
        late = days_past_due(rows, paid, day)
        next_due, next_amount = schedule_position(rows, paid)
        due_now = max(sum((r.amount for r in rows if r.on <= day), ZERO) - paid, ZERO)
    return {
        "balance": quote.principal, "accrued": quote.interest + quote.default_interest,
        "fees": quote.fees, "per_diem": quote.per_diem, "payoff": quote.total,
        "days_past_due": late, "bucket": bucket(late), "next_due": next_due,
        "next_amount": next_amount, "due_now": due_now,
    }  # fmt: skip


def _stored_right(db: Database) -> int:
    """Every loan's stored position equals the walked one; how many loans were checked."""
    with db.session(writer=False) as session:
        loans = list(session.scalars(select(Loan)))
        for loan in loans:
            assert (loan.next_due, loan.next_amount) == _walked(session, loan), loan.id
        return len(loans)


def _varied_book(db: Database, seed: int) -> list[int]:
    """Loans of every kind, serviced day by day at random through every path (payments in
    full, short and missed, draws, an extension, late fees, payoffs, a charge-off), the stored
    position checked after each step; their ids."""
    rng = random.Random(seed)
    draft = service.LoanDraft
    with db.session() as session:
        service.add_borrower(session, service.BorrowerDraft("Ann"))
        notes = [
            draft("Ann", "100000", "12%", 9, START, day_count="actual/360"),
            draft("Ann", "50000", "10%", 12, date(2026, 1, 10), default_rate="18%",
                  default_after_days=30, late_fee="100", late_fee_pct="5%"),
            draft("Ann", "80000", "11%", 10, date(2026, 1, 5), commitment="40000",
                  draw_fee="150", day_count="actual/365"),
            draft("Ann", "90000", "11%", 10, date(2026, 1, 7), commitment="30000", dutch=True),
            draft("Ann", "60000", "9%", 24, START, interest_only=False),
            draft("Ann", "70000", "8%", 6, date(2026, 1, 31), interest_only=False,
                  amortization_months=120, day_count="actual/365"),
            draft("Ann", "20000", "14%", 6, date(2026, 1, 15), late_fee="50"),
            draft("Ann", "30000", "13%", 4, date(2026, 1, 20)),
        ]  # fmt: skip
        ids = [service.add_loan(session, note).id for note in notes]
    assert _stored_right(db) == len(ids)
    extended = charged_off = False
    day = date(2026, 1, 25)
    while day < date(2026, 12, 1):
        with db.session() as session:
            for loan_id in ids:
                loan = session.get(Loan, loan_id)
                assert loan is not None
                if loan.status != "open" or day < loan.accrued_to:
                    continue
                if not charged_off and loan_id == ids[6] and day > date(2026, 4, 1):
                    service.charge_off(session, loan_id, day)
                    charged_off = True
                    continue
                if rng.random() < 0.6:
                    continue
                roll = rng.random()
                if loan.undrawn > 0 and roll < 0.25:
                    amount = str(min(loan.undrawn, Decimal(rng.randrange(5, 20) * 1000)))
                    drawn = service.request_draw(session, loan_id, amount, day).draw
                    service.draw_action(session, drawn.id, "approve", day)
                    service.fund_draw(session, drawn.id, day)
                elif not extended and roll < 0.3:
                    service.extend(session, loan_id, loan.maturity + timedelta(days=92), "250", day)
                    extended = True
                elif day > loan.maturity or (roll > 0.97 and loan_id != ids[6]):
                    service.pay_off(session, loan_id, day)
                else:
                    owed = service.quote(session, loan_id, day).total
                    wanted = (loan.next_amount or Decimal(500)) * Decimal(rng.choice((1, 1, 2)))
                    if roll < 0.45:
                        wanted = (wanted / 3).quantize(Decimal("0.01"))
                    service.record_payment(session, loan_id, day, min(wanted, owed))
                service.charge_late_fees(session, loan_id, day)
        _stored_right(db)
        day += timedelta(days=rng.randrange(5, 16))
    return ids


def test_the_books_figures_equal_a_full_replay_on_many_days(db: Database) -> None:
    ids = _varied_book(db, 53)
    with db.session(writer=False) as session:
        statuses = {loan.status for loan in session.scalars(select(Loan))}
    assert {"open", "paid_off", "charged_off"} <= statuses
    late_seen = 0
    day = date(2026, 1, 12)
    while day < date(2027, 2, 1):
        with db.session(writer=False) as session:
            book = queries.portfolio(session, day)
            assert book.lines, day
            views = queries.loan_views(session, [line.id for line in book.lines], day)
            for line, view in zip(book.lines, views, strict=True):
                assert (line.id, line.balance, line.days_past_due, line.payoff) == (
                    view.id, view.balance, view.days_past_due, view.payoff)  # fmt: skip
                loan = session.get(Loan, view.id)
                assert loan is not None
                shown = {k: getattr(view, k) for k in _replayed(session, loan, day)}
                assert shown == _replayed(session, loan, day), (view.id, day)
                assert view.to_dict() == queries.loan_detail(session, view.id, day).to_dict()
                late_seen += view.days_past_due > 0
        day += timedelta(days=9)
    assert late_seen > 0  # some days found loans behind, so lateness was compared too
    assert len(ids) == 8


def test_the_migration_fills_the_position_from_the_movements(database_url: str) -> None:
    db = Database(database_url)
    try:
        _varied_book(db, 7)
        with db.session(writer=False) as session:
            kept = {loan.id: (loan.next_due, loan.next_amount)
                    for loan in session.scalars(select(Loan))}  # fmt: skip
        assert any(due is not None for due, _ in kept.values())
        db.dispose()
        command.downgrade(migrate.alembic_config(database_url), "0053")  # the one before
        migrate.upgrade(database_url)
        with db.session(writer=False) as session:
            filled = {loan.id: (loan.next_due, loan.next_amount)
                      for loan in session.scalars(select(Loan))}  # fmt: skip
        assert filled == kept
    finally:
        db.dispose()
