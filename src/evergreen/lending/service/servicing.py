"""Servicing: payments allocated by the note's order, late fees after grace, payoff quotes and
payoffs, charge-offs and recoveries. Each is a movement stored once per key and posted once."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.errors import Conflict
from evergreen.lending.errors import LendingInputError
from evergreen.lending.models import Loan, Movement
from evergreen.lending.rules import (
    PayoffQuote,
    accrue,
    allocate,
    expected_calendar,
    late_fees,
    read_money,
)
from evergreen.lending.rules.amounts import ZERO
from evergreen.lending.rules.interest import LoanState
from evergreen.lending.service.records import (
    Parts,
    default_start,
    facts_of,
    funded_draws,
    locked_loan,
    open_loan,
    prepayment_earned,
    quote_of,
    record,
    refresh_schedule,
    state_of,
    store_state,
    terms_of,
    with_prepayment,
)
from evergreen.money import show_money

__all__ = ["charge_late_fees", "charge_off", "open_loan_ids", "pay_off", "quote",
           "record_payment", "record_recovery"]  # fmt: skip


def open_loan_ids(session: Session) -> list[int]:
    """Every open loan's id, for the daily run."""
    return list(session.scalars(select(Loan.id).where(Loan.status == "open").order_by(Loan.id)))


def _not_before(loan: Loan, on: date) -> None:
    if on < loan.accrued_to:
        raise LendingInputError("date", f"must not be before {loan.accrued_to.isoformat()}, the "
                                "loan's last recorded payment or draw")  # fmt: skip
    if on < loan.start:
        raise LendingInputError("date", f"must not be before the start {loan.start.isoformat()}")


def _position(session: Session, loan: Loan, on: date) -> LoanState:
    """The running position with interest counted to `on` (a write: `on` is not in the past)."""
    terms, facts = terms_of(loan), facts_of(session, loan.id)
    start = default_start(terms, facts, funded_draws(session, loan.id), on)
    return accrue(state_of(loan), terms, on, start)


def quote(session: Session, loan_id: int, as_of: date) -> PayoffQuote:
    """What pays the loan off on `as_of`: principal, interest since it was last counted by the
    day count, default interest, fees owed (with what the prepayment terms add before
    maturity, until it is charged), and the per diem. Nothing once closed."""
    loan = session.get(Loan, loan_id)
    if loan is None:
        locked_loan(session, loan_id)  # raises NotFound
    assert loan is not None
    due = quote_of(loan, facts_of(session, loan.id), funded_draws(session, loan.id), as_of)
    return with_prepayment(loan, due, prepayment_earned(session, [loan], as_of))


def _prepayment(session: Session, loan: Loan, due: PayoffQuote) -> Decimal:
    """The prepayment charge a payoff on the quote's day would add (none once charged)."""
    return with_prepayment(loan, due, prepayment_earned(session, [loan], due.as_of)).fees - due.fees


def record_payment(
    session: Session, loan_id: int, on: date, amount: str | Decimal, key: str | None = None
) -> Movement:
    """A payment received, split by the note's allocation order; the same key again (by default
    the loan, day and amount) records and posts nothing more. Paying everything owed closes it."""
    value = read_money("amount", amount if isinstance(amount, Decimal) else str(amount))
    key = key or f"payment:{loan_id}:{on.isoformat()}:{value}"
    stored = session.scalar(select(Movement).where(Movement.key == key))
    if stored is not None:
        return stored
    loan = open_loan(session, loan_id)
    _not_before(loan, on)
    state = _position(session, loan, on)
    split = allocate(value, state.owed(), terms_of(loan).allocation)
    state = state.paid(split)
    closes = state.owed().total == 0
    movement, _ = record(
        session, loan, "payoff" if closes else "payment", on, key,
        Parts(value, split.principal, split.interest, split.default_interest, split.fees),
        f"payment {value:.2f}: principal {split.principal:.2f}, interest {split.interest:.2f}, "
        f"default interest {split.default_interest:.2f}, fees {split.fees:.2f}",
    )  # fmt: skip
    store_state(loan, state)
    if closes:
        loan.status, loan.closed_on = "paid_off", on
    refresh_schedule(session, loan)
    return movement


def pay_off(session: Session, loan_id: int, on: date, amount: str | None = None) -> Movement:
    """Receive the payoff amount on `on` and close the loan; an amount other than the quote's
    total is refused (a partial payment is `record_payment`)."""
    due = quote(session, loan_id, on)
    if amount is not None and read_money("amount", amount) != due.total:
        raise LendingInputError(
            "amount", f"the payoff on {on.isoformat()} is {show_money(due.total)}, not {amount}"
        )
    if due.total == 0:
        raise Conflict("loan_id", f"loan {loan_id} owes nothing")
    loan = locked_loan(session, loan_id)
    extra = _prepayment(session, loan, replace(due, fees=ZERO))
    if extra:  # charged as a fee the payment then pays, as a late fee is
        record(session, loan, "fee", on, f"prepay:{loan.id}", Parts(extra, fees=extra),
               f"prepayment charge {extra:.2f}")  # fmt: skip
        loan.fees_due += extra
    return record_payment(session, loan_id, on, due.total, f"payoff:{loan_id}")


def charge_late_fees(session: Session, loan_id: int, today: date) -> list[Movement]:
    """Late fees for payments not made by the end of their grace period, one per loan and
    missed payment, dated the day after grace ends; a second run charges nothing."""
    loan = locked_loan(session, loan_id)
    if loan.status != "open":
        return []
    terms = terms_of(loan)
    paid = [(f.on, f.toward_schedule) for f in facts_of(session, loan.id) if f.toward_schedule]
    calendar = expected_calendar(terms, funded_draws(session, loan.id))
    charged = []
    for due_on, fee in late_fees(terms, calendar, paid, today):
        on = due_on + timedelta(days=terms.grace_days + 1)
        movement, new = record(session, loan, "fee", on, f"late:{loan.id}:{due_on.isoformat()}",
                               Parts(fee, fees=fee), f"late fee on the {due_on.isoformat()} "
                               "payment")  # fmt: skip
        if new:
            loan.fees_due += fee
            charged.append(movement)
    return charged


def charge_off(session: Session, loan_id: int, on: date, note: str = "") -> Movement:
    """Write the loan off: principal and fees owed become a loss; interest never received was
    never income, so nothing of it is written off. The loan is closed as charged off."""
    loan = open_loan(session, loan_id)
    _not_before(loan, on)
    movement, _ = record(
        session, loan, "charge_off", on, f"charge-off:{loan.id}",
        Parts(loan.balance + loan.fees_due, principal=loan.balance, fees=loan.fees_due),
        note or f"charged off {loan.balance + loan.fees_due:.2f}",
    )  # fmt: skip
    store_state(loan, LoanState(ZERO, ZERO, on))
    loan.status, loan.closed_on = "charged_off", on
    refresh_schedule(session, loan)
    return movement


def record_recovery(
    session: Session, loan_id: int, on: date, amount: str, key: str | None = None
) -> Movement:
    """Money recovered on a charged-off loan: income of its stream."""
    loan = locked_loan(session, loan_id)
    if loan.status != "charged_off":
        raise Conflict("loan_id", f"loan {loan_id} is {loan.status.replace('_', ' ')}, not "
                       "charged off; record a payment instead")  # fmt: skip
    value = read_money("amount", amount)
    if loan.closed_on is not None and on < loan.closed_on:
        raise LendingInputError("date", f"must not be before the charge-off {loan.closed_on}")
    movement, _ = record(session, loan, "recovery", on,
                         key or f"recovery:{loan.id}:{on.isoformat()}:{value}",
                         Parts(value), f"recovered {value:.2f}")  # fmt: skip
    return movement
