"""Servicing: payments allocated by the note's order, late fees after grace, payoff quotes and
payoffs, charge-offs and recoveries. Each is a movement stored once per key and posted once."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from uuid import uuid4

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.db import utcnow
from evergreen.errors import Conflict
from evergreen.lending.errors import LendingInputError
from evergreen.lending.models import Loan, Movement
from evergreen.lending.rules import (
    PayoffQuote,
    accrue,
    allocate,
    expected_calendar,
    late_fee_day,
    late_fees,
    read_money,
)
from evergreen.lending.rules.amounts import ZERO
from evergreen.lending.rules.interest import LoanState
from evergreen.lending.rules.replay import check_closing_day, check_payment_day, fees_after
from evergreen.lending.service.records import (
    Parts,
    check_key,
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

__all__ = ["Paid", "charge_late_fees", "charge_off", "open_loan_ids", "pay_off", "quote",
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


def _position(session: Session, loan: Loan, on: date) -> tuple[LoanState, Decimal]:
    """The position on `on` with interest counted to it (a write: `on` is not in the past, nor
    before a fee waiver), and the fees dated after `on`: set aside, since a fee is owed only
    from its own date."""
    terms, facts = terms_of(loan), facts_of(session, loan.id)
    check_payment_day(facts, on)
    start = default_start(terms, facts, funded_draws(session, loan.id), on)
    later = fees_after(facts, on)
    state = replace(state_of(loan), fees=loan.fees_due - later)
    return accrue(state, terms, on, start), later


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


@dataclass(frozen=True)
class Paid:
    """A payment, and whether this call recorded it (False: an earlier call with its key did)."""

    movement: Movement
    created: bool


def _replayed(stored: Movement, loan_id: int, on: date, value: Decimal) -> Paid:
    """The payment first recorded under this key, if this call asks for the same one."""
    if stored.loan_id != loan_id or stored.kind not in ("payment", "payoff"):
        raise Conflict("key", f"the key {stored.key!r} was used for another movement; send a "
                       "new key for a new payment")  # fmt: skip
    differs = [name for name, same in (("date", stored.on == on),
                                       ("amount", stored.amount == value)) if not same]  # fmt: skip
    if differs:
        raise Conflict("key", f"the key {stored.key!r} recorded payment {stored.id} of "
                       f"{stored.amount:.2f} on {stored.on.isoformat()}; this one differs in "
                       f"{' and '.join(differs)}: send a new key for a new payment")  # fmt: skip
    return Paid(stored, created=False)


def record_payment(
    session: Session, loan_id: int, on: date, amount: str | Decimal, key: str | None = None
) -> Paid:
    """A payment received, split by the note's allocation order over what is owed on its day.
    Every call records one, as a bank would: only a caller's key (a retry's) answers the payment
    first recorded under it, and refuses the key for another date or amount. Paying everything
    owed closes the loan."""
    value = read_money("amount", amount if isinstance(amount, Decimal) else str(amount))
    locked_loan(session, loan_id)  # first: a retry waits here for its first call to commit
    if key is not None:
        stored = session.scalar(select(Movement).where(Movement.key == check_key(key)))
        if stored is not None:
            return _replayed(stored, loan_id, on, value)
    loan = open_loan(session, loan_id)
    _not_before(loan, on)
    if on > utcnow().date():  # as Fineract: a payment is recorded once received, never ahead
        raise LendingInputError("date", f"{on.isoformat()} is after today; record a payment "
                                "on the day it was received")  # fmt: skip
    state, later = _position(session, loan, on)
    split = allocate(value, state.owed(), terms_of(loan).allocation)
    state = state.paid(split)
    closes = state.owed().total == 0 and later == 0
    movement, _ = record(
        session, loan, "payoff" if closes else "payment", on,
        key or f"payment:{loan_id}:{uuid4().hex}",
        Parts(value, split.principal, split.interest, split.default_interest, split.fees),
        f"payment {value:.2f}: principal {split.principal:.2f}, interest {split.interest:.2f}, "
        f"default interest {split.default_interest:.2f}, fees {split.fees:.2f}",
    )  # fmt: skip
    store_state(loan, replace(state, fees=state.fees + later))
    if closes:
        loan.status, loan.closed_on = "paid_off", on
    refresh_schedule(session, loan)
    return Paid(movement, created=True)


def pay_off(session: Session, loan_id: int, on: date, amount: str | None = None) -> Movement:
    """Receive the payoff amount on `on` and close the loan; an amount other than the quote's
    total is refused (a partial payment is `record_payment`), and so is a day before a fee."""
    check_closing_day(facts_of(session, locked_loan(session, loan_id).id), on)
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
    return record_payment(session, loan_id, on, due.total, f"payoff:{loan_id}").movement


def charge_late_fees(session: Session, loan_id: int, today: date) -> list[Movement]:
    """Late fees for payments not made by the end of their grace period, one per loan and
    missed payment, dated the day after grace ends; a second run charges nothing, and a run
    as of a day after today is refused (`late_fee_day`)."""
    late_fee_day(today, utcnow().date())
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
    """Write the loan off: principal and fees owed on `on` become a loss (refused before a fee's
    date, which would leave it owed); interest never received was never income, so nothing of
    it is written off. The loan is closed as charged off."""
    loan = open_loan(session, loan_id)
    _not_before(loan, on)
    check_closing_day(facts_of(session, loan.id), on)
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
