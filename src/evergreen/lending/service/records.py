"""What every lending use case shares: a loan's terms and position as plain values, and one way
to record a movement (once per key) with its ledger posting and its event."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evergreen.errors import Conflict, NotFound
from evergreen.ledger import service as ledger
from evergreen.lending.errors import LendingInputError
from evergreen.lending.models import Borrower, Draw, Loan, LoanEvent, Movement
from evergreen.lending.rules import (
    LoanState,
    LoanTerms,
    PayoffQuote,
    accrue,
    calendar_rows,
    default_from,
    expected_calendar,
    payoff_quote,
    schedule_position,
)
from evergreen.lending.rules.amounts import ZERO
from evergreen.lending.rules.book import PrepaymentTerms, prepayment_charge
from evergreen.lending.rules.postings import legs_of
from evergreen.lending.rules.replay import Fact, replay

__all__ = [
    "MAX_KEY",
    "LoanRecord",
    "Parts",
    "check_key",
    "default_start",
    "facts_of",
    "funded_draws",
    "loan_name",
    "locked_loan",
    "open_loan",
    "prepayment_earned",
    "quote_of",
    "record",
    "refresh_schedule",
    "state_of",
    "store_state",
    "terms_of",
    "with_prepayment",
]


# A caller's idempotency key (the API's limit; the column holds 200 with a waiver's prefix).
MAX_KEY = 150


def check_key(key: str) -> str:
    """A caller's key as stored: printable (PostgreSQL stores no NUL) and within the column."""
    if not key.strip() or len(key) > MAX_KEY or not key.isprintable():
        raise LendingInputError("key", f"must be 1 to {MAX_KEY} printable characters, e.g. the "
                                "bank's reference or a UUID")  # fmt: skip
    return key


class LoanRecord(PrepaymentTerms, Protocol):
    """A loan's columns as the rules and the book read them: a mapped Loan, or a plain row of
    its table (the book reads 10,000 at once, and mapping each one costs more than the rest);
    the note's terms are those the prepayment charge reads."""

    @property
    def id(self) -> int: ...

    @property
    def status(self) -> str: ...

    @property
    def months(self) -> int: ...

    @property
    def day_count(self) -> str: ...

    @property
    def commitment(self) -> Decimal | None: ...

    @property
    def interest_only(self) -> bool: ...

    @property
    def amortization_months(self) -> int | None: ...

    @property
    def default_rate(self) -> Decimal | None: ...

    @property
    def default_after_days(self) -> int | None: ...

    @property
    def grace_days(self) -> int: ...

    @property
    def late_fee(self) -> Decimal: ...

    @property
    def late_fee_pct(self) -> Decimal: ...

    @property
    def dutch(self) -> bool: ...

    @property
    def allocation(self) -> str: ...

    @property
    def balance(self) -> Decimal: ...

    @property
    def undrawn(self) -> Decimal: ...

    @property
    def accrued_to(self) -> date: ...

    @property
    def interest_due(self) -> Decimal: ...

    @property
    def default_interest_due(self) -> Decimal: ...

    @property
    def fees_due(self) -> Decimal: ...

    @property
    def closed_on(self) -> date | None: ...

    @property
    def next_due(self) -> date | None: ...

    @property
    def next_amount(self) -> Decimal: ...

    @property
    def borrower_id(self) -> int: ...

    @property
    def property_id(self) -> int | None: ...

    @property
    def stream_id(self) -> int | None: ...


def terms_of(loan: LoanRecord) -> LoanTerms:
    """The loan's note as the rules read it."""
    return LoanTerms(
        principal=loan.principal, annual_rate=loan.annual_rate, months=loan.months,
        start=loan.start, day_count=loan.day_count, commitment=loan.commitment,
        interest_only=loan.interest_only, amortization_months=loan.amortization_months,
        default_rate=loan.default_rate, default_after_days=loan.default_after_days,
        grace_days=loan.grace_days, late_fee=loan.late_fee, late_fee_pct=loan.late_fee_pct,
        dutch=loan.dutch, allocation=tuple(loan.allocation.split(",")), maturity=loan.maturity,
        min_interest_months=loan.min_interest_months, prepay_pct=loan.prepay_pct,
        prepay_months=loan.prepay_months,
    )  # fmt: skip


def state_of(loan: LoanRecord) -> LoanState:
    """The loan's running position."""
    return LoanState(loan.balance, loan.undrawn, loan.accrued_to, loan.interest_due,
                     loan.default_interest_due, loan.fees_due)  # fmt: skip


def store_state(loan: Loan, state: LoanState) -> None:
    """Write the position back to the loan's row."""
    loan.balance, loan.undrawn, loan.accrued_to = state.balance, state.undrawn, state.accrued_to
    loan.interest_due, loan.default_interest_due = state.interest, state.default_interest
    loan.fees_due = state.fees


def locked_loan(session: Session, loan_id: int) -> Loan:
    """The loan, locked for this unit of work (PostgreSQL: FOR UPDATE), or NotFound."""
    loan = session.scalar(
        select(Loan).where(Loan.id == loan_id).with_for_update()
        .execution_options(populate_existing=True)
    )  # fmt: skip
    if loan is None:
        raise NotFound("loan_id", f"there is no loan {loan_id}")
    return loan


def open_loan(session: Session, loan_id: int) -> Loan:
    """A locked loan that is still open, or why it is not."""
    loan = locked_loan(session, loan_id)
    if loan.status != "open":
        raise Conflict("loan_id", f"loan {loan_id} is {loan.status.replace('_', ' ')}")
    return loan


def loan_name(session: Session, loan: Loan) -> str:
    """How a loan is named in the ledger: its number and borrower."""
    borrower = session.get(Borrower, loan.borrower_id)
    return f"Loan {loan.id} ({borrower.name if borrower else 'borrower'})"


def facts_of(session: Session, loan_id: int) -> list[Fact]:
    """The loan's movements as plain values, in the order they happened."""
    rows = session.scalars(
        select(Movement).where(Movement.loan_id == loan_id).order_by(Movement.on, Movement.id)
    )
    return [Fact(m.kind, m.on, m.amount, m.principal, m.interest, m.default_interest, m.fees)
            for m in rows]  # fmt: skip


def refresh_schedule(session: Session, loan: Loan) -> None:
    """Store where the loan's payments stand against its calendar (oldest unpaid due date and
    what is left of it); every path that moves money, funds a draw or changes the terms calls
    it last, in the same unit of work, so that the book's figures read it as the replay would."""
    if loan.status != "open":
        loan.next_due, loan.next_amount = None, ZERO
        return
    paid = sum((f.toward_schedule for f in facts_of(session, loan.id)), ZERO)
    rows = calendar_rows(terms_of(loan), funded_draws(session, loan.id))
    loan.next_due, loan.next_amount = schedule_position(rows, paid)


def funded_draws(session: Session, loan_id: int) -> list[tuple[date, Decimal]]:
    """Funded draws as (day, amount), for the expected calendar."""
    rows = session.execute(
        select(Draw.funded_on, Draw.amount)
        .where(Draw.loan_id == loan_id, Draw.status == "funded")
        .order_by(Draw.funded_on, Draw.id)
    )
    return [(day, amount) for day, amount in rows if day is not None]


def default_start(
    terms: LoanTerms, facts: list[Fact], draws: list[tuple[date, Decimal]], day: date
) -> date | None:
    """When default interest starts, judged on `day` from the calendar and what was paid."""
    if terms.default_rate is None:
        return None
    paid = sum((f.toward_schedule for f in facts if f.on <= day), ZERO)
    return default_from(terms, expected_calendar(terms, draws), paid, day)


def quote_of(
    loan: LoanRecord, facts: list[Fact], draws: list[tuple[date, Decimal]], as_of: date
) -> PayoffQuote:
    """The payoff on `as_of` from the loan's row and its movements (no database): from the
    running position when nothing is dated after `as_of`, else replayed to that day."""
    if as_of < loan.start:
        raise LendingInputError("as_of", f"must not be before the start {loan.start.isoformat()}")
    if loan.closed_on is not None and as_of >= loan.closed_on:
        return PayoffQuote(as_of, ZERO, ZERO, ZERO, ZERO, ZERO)
    terms = terms_of(loan)

    def start(day: date) -> date | None:
        return default_start(terms, facts, draws, day)

    latest = max((f.on for f in facts), default=loan.start)
    current = as_of >= loan.accrued_to and as_of >= latest
    state = state_of(loan) if current else replay(terms, facts, as_of, start)
    return payoff_quote(accrue(state, terms, as_of, start(as_of)), terms, as_of, start(as_of))


def prepayment_earned(
    session: Session, loans: Sequence[LoanRecord], as_of: date
) -> dict[int, Decimal]:
    """The interest paid by `as_of` on each loan whose prepayment terms may still add to a
    payoff that day (terms set, maturity not reached, the charge not yet made by then; a
    payoff charges it once): what the charge's minimum interest is measured against."""
    ids = [loan.id for loan in loans if (loan.min_interest_months or loan.prepay_pct)
           and as_of < loan.maturity]  # fmt: skip
    earned: dict[int, Decimal] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        charged = set(session.scalars(select(Movement.loan_id).where(
            Movement.key.in_([f"prepay:{n}" for n in chunk]), Movement.on <= as_of
        )))  # fmt: skip
        earned.update((n, ZERO) for n in chunk if n not in charged)
        for loan_id, cents in session.execute(
            select(Movement.loan_id, func.sum(func.round(Movement.interest * 100)))
            .where(Movement.loan_id.in_(chunk), Movement.kind.in_(("payment", "payoff")),
                   Movement.on <= as_of)
            .group_by(Movement.loan_id)
        ):  # fmt: skip
            if loan_id in earned:  # summed in whole cents: exact on SQLite too
                earned[loan_id] = Decimal(int(cents or 0)) / 100
    return earned


def with_prepayment(loan: LoanRecord, due: PayoffQuote, earned: dict[int, Decimal]) -> PayoffQuote:
    """The quote with what the prepayment terms add to a payoff on its day, as a fee (the fee a
    payoff then records); `earned` from `prepayment_earned` (a loan not in it adds nothing)."""
    if loan.id not in earned:
        return due
    extra = prepayment_charge(loan, due.principal, due.as_of, earned[loan.id] + due.interest)
    return replace(due, fees=due.fees + extra) if extra else due


@dataclass(frozen=True)
class Parts:
    """A movement's amount and its split."""

    amount: Decimal
    principal: Decimal = ZERO
    interest: Decimal = ZERO
    default_interest: Decimal = ZERO
    fees: Decimal = ZERO
    points: Decimal = ZERO


def record(
    session: Session, loan: Loan, kind: str, on: date, key: str, parts: Parts, note: str = ""
) -> tuple[Movement, bool]:
    """Store a movement under its key and post it to the ledger; (movement, True) when new,
    (the stored one, False) when the key was used already, posting nothing."""
    stored = session.scalar(select(Movement).where(Movement.key == key))
    if stored is not None:
        if stored.loan_id != loan.id or stored.kind != kind:
            raise Conflict("key", f"the key {key!r} was used for another movement")
        return stored, False
    movement = Movement(
        loan_id=loan.id, key=key, kind=kind, on=on, amount=parts.amount,
        principal=parts.principal, interest=parts.interest,
        default_interest=parts.default_interest, fees=parts.fees, points=parts.points, note=note,
    )  # fmt: skip
    session.add(movement)
    session.flush()
    legs = legs_of(kind, amount=parts.amount, principal=parts.principal, interest=parts.interest,
                   default_interest=parts.default_interest, fees=parts.fees,
                   points=parts.points)  # fmt: skip
    if legs:
        fed = ledger.post_lending_movement(
            session, movement_id=movement.id, loan_id=loan.id,
            loan_name=loan_name(session, loan), stream_id=loan.stream_id, legs=legs,
            currency=loan.currency, on=on, narration=f"{kind.replace('_', ' ')}: {note}"[:500],
        )  # fmt: skip
        loan.stream_id = fed.stream_id
    event(session, loan.id, kind, on, note or f"{kind.replace('_', ' ')} {parts.amount:.2f}")
    return movement, True


def event(session: Session, loan_id: int | None, kind: str, on: date, detail: str) -> None:
    """A line in the loan's history."""
    session.add(LoanEvent(loan_id=loan_id, kind=kind, on=on, detail=detail[:500]))
