"""Loans written and changed: closing (funding, points, fees), extensions and draws."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.errors import Conflict, NotFound
from evergreen.lending.errors import LendingInputError
from evergreen.lending.models import Draw, Loan, Property
from evergreen.lending.rules import (
    DEFAULT_ORDER,
    LoanTerms,
    accrue,
    check_day_count,
    check_draw,
    check_extension,
    check_loan_status,
    next_status,
    opening_state,
    read_money,
    read_order,
    read_percent,
    read_rate,
)
from evergreen.lending.rules.amounts import ZERO
from evergreen.lending.service.parties import (
    BorrowerDraft,
    add_borrower,
    borrower_named,
)
from evergreen.lending.service.records import (
    Parts,
    check_key,
    default_start,
    event,
    facts_of,
    funded_draws,
    locked_loan,
    open_loan,
    record,
    refresh_schedule,
    state_of,
    store_state,
    terms_of,
)

__all__ = ["LoanDraft", "Requested", "add_loan", "draw_action", "extend", "fund_draw", "get_loan",
           "loans", "request_draw"]  # fmt: skip


@dataclass(frozen=True)
class LoanDraft:
    """A new loan as a person writes it: text values, read and checked by `terms`."""

    borrower: str
    principal: str
    annual_rate: str
    months: int
    start: date
    points: str = "0"
    points_financed: bool = False
    interest_only: bool = True
    amortization_months: int | None = None
    day_count: str = "30/360"
    commitment: str = ""
    default_rate: str = ""
    default_after_days: int | None = None
    grace_days: int = 10
    late_fee: str = "0"
    late_fee_pct: str = "0"
    closing_fee: str = "0"
    draw_fee: str = "0"
    allocation: str = ""
    dutch: bool = False
    property_id: int | None = None
    min_interest_months: int = 0
    prepay_pct: str = "0"
    prepay_months: int = 0

    def terms(self) -> tuple[LoanTerms, Decimal, Decimal]:
        """(the note's terms, points as a fraction, the points fee in money)."""
        cash = read_money("principal", self.principal)
        points = read_percent("points", self.points)
        fee = (cash * points).quantize(Decimal("0.01")) if points else ZERO
        note = cash + fee if self.points_financed else cash
        extra = read_money("commitment", self.commitment) if self.commitment else None
        terms = LoanTerms(
            principal=note, annual_rate=read_rate("annual_rate", self.annual_rate),
            months=self.months, start=self.start, day_count=check_day_count(self.day_count),
            commitment=note + extra if extra is not None else None,
            interest_only=self.interest_only, amortization_months=self.amortization_months,
            default_rate=read_rate("default_rate", self.default_rate) if self.default_rate
            else None,
            default_after_days=self.default_after_days, grace_days=self.grace_days,
            late_fee=read_money("late_fee", self.late_fee, positive=False),
            late_fee_pct=read_percent("late_fee_pct", self.late_fee_pct),
            dutch=self.dutch,
            allocation=read_order(self.allocation) if self.allocation else DEFAULT_ORDER,
            min_interest_months=self.min_interest_months,
            prepay_pct=read_percent("prepay_pct", self.prepay_pct),
            prepay_months=self.prepay_months,
        )  # fmt: skip
        if terms.dutch and terms.commitment is None:
            raise LendingInputError(
                "dutch", "Dutch interest needs a commitment above the principal"
            )
        if terms.commitment is not None and not terms.interest_only:
            raise LendingInputError("commitment", "draws are for interest-only loans")
        return terms, points, fee


def add_loan(session: Session, draft: LoanDraft, *, new_borrower: bool = False) -> Loan:
    """Write a loan and close it on its start date: the funding leaves the bank, and points not
    financed (with any closing fee) come in from the borrower the same day. `new_borrower`:
    a borrower named for the first time is added (the CLI's one-line loan)."""
    borrower = borrower_named(session, draft.borrower, required=False)
    if borrower is None and not new_borrower:  # a name in the loan's own fields: a bad value
        raise LendingInputError("borrower", f"there is no borrower named {draft.borrower!r}; "
                                "add one first")  # fmt: skip
    if borrower is None:
        borrower = add_borrower(session, BorrowerDraft(draft.borrower))
    if draft.property_id is not None and session.get(Property, draft.property_id) is None:
        raise LendingInputError("property_id", f"there is no property {draft.property_id}")
    terms, points, points_fee = draft.terms()
    closing_fee = read_money("closing_fee", draft.closing_fee, positive=False)
    state = opening_state(terms)
    loan = Loan(
        borrower_id=borrower.id, property_id=draft.property_id, principal=terms.principal,
        commitment=terms.commitment, annual_rate=terms.annual_rate,
        default_rate=terms.default_rate, default_after_days=terms.default_after_days,
        months=terms.months, start=terms.start, maturity=terms.maturity,
        interest_only=terms.interest_only, amortization_months=terms.amortization_months,
        day_count=terms.day_count, points=points, points_financed=draft.points_financed,
        closing_fee=closing_fee, draw_fee=read_money("draw_fee", draft.draw_fee, positive=False),
        grace_days=terms.grace_days, late_fee=terms.late_fee, late_fee_pct=terms.late_fee_pct,
        allocation=",".join(terms.allocation), dutch=terms.dutch, status="open",
        min_interest_months=terms.min_interest_months, prepay_pct=terms.prepay_pct,
        prepay_months=terms.prepay_months,
        balance=state.balance, undrawn=state.undrawn, accrued_to=state.accrued_to,
    )  # fmt: skip
    session.add(loan)
    session.flush()
    financed = points_fee if draft.points_financed else ZERO
    record(session, loan, "funding", terms.start, f"funding:{loan.id}",
           Parts(terms.principal - financed, principal=terms.principal, points=financed),
           f"funded {terms.principal - financed:.2f}")  # fmt: skip
    upfront = ZERO if draft.points_financed else points_fee
    if upfront or closing_fee:
        record(session, loan, "closing", terms.start, f"closing:{loan.id}",
               Parts(upfront + closing_fee, fees=closing_fee, points=upfront),
               f"points {upfront:.2f} and fees {closing_fee:.2f} paid at closing")  # fmt: skip
    refresh_schedule(session, loan)
    return loan


def get_loan(session: Session, loan_id: int) -> Loan:
    """One loan, or NotFound."""
    loan = session.get(Loan, loan_id)
    if loan is None:
        raise NotFound("loan_id", f"there is no loan {loan_id}")
    return loan


def extend(session: Session, loan_id: int, new_maturity: date, fee: str, on: date) -> Loan:
    """Move maturity later for a fee (owed from `on`, income when charged)."""
    loan = open_loan(session, loan_id)
    check_extension(loan.maturity, new_maturity)
    amount = read_money("fee", fee, positive=False)
    if amount:
        record(session, loan, "fee", on, f"extension:{loan.id}:{new_maturity.isoformat()}",
               Parts(amount, fees=amount), f"extension to {new_maturity.isoformat()}")  # fmt: skip
        loan.fees_due += amount
    else:
        event(session, loan.id, "extension", on, f"extended to {new_maturity.isoformat()}")
    loan.maturity = new_maturity
    refresh_schedule(session, loan)
    return loan


def _rehab(session: Session, loan: Loan) -> tuple[Decimal | None, Decimal]:
    budget = None
    if loan.property_id is not None:
        prop = session.get(Property, loan.property_id)
        budget = prop.rehab_budget if prop is not None else None
    drawn = sum((amount for _, amount in funded_draws(session, loan.id)), ZERO)
    return budget, drawn


@dataclass(frozen=True)
class Requested:
    """A draw request, and whether this call made it (False: an earlier call with its key did)."""

    draw: Draw
    created: bool


def _replayed(stored: Draw, value: Decimal, on: date | None, note: str) -> Requested:
    """The draw first requested under this key, if this call asks for the same one (`on` None:
    any day, the caller's being the day it was sent)."""
    differs = [name for name, same in (("amount", stored.amount == value),
                                       ("date", on is None or stored.requested_on == on),
                                       ("note", stored.note == note)) if not same]  # fmt: skip
    if differs:
        raise Conflict("key", f"the key {stored.request_key!r} requested draw {stored.id} of "
                       f"{stored.amount:.2f} on {stored.requested_on.isoformat()}; this one "
                       f"differs in {' and '.join(differs)}: send a new key for a new "
                       "draw")  # fmt: skip
    return Requested(stored, created=False)


def request_draw(
    session: Session, loan_id: int, amount: str, on: date, note: str = "",
    key: str | None = None, *, dated_today: bool = False,
) -> Requested:  # fmt: skip
    """A draw asked for against what is left of the commitment and the rehab budget. A caller's
    key (a form's nonce, an API retry's key) answers the draw first requested under it on this
    loan, and refuses it for another amount, date or note. `dated_today`: `on` is the day the
    request arrived, not one the caller chose (the portal's form), so the same form sent again
    after midnight is the same request."""
    value = read_money("amount", amount)
    token = None if key is None else check_key(key)
    note = note[:500]
    locked_loan(session, loan_id)  # first: a retry waits here for its first call to commit
    if token is not None:
        stored = session.scalar(
            select(Draw).where(Draw.loan_id == loan_id, Draw.request_key == token)
        )
        if stored is not None:
            return _replayed(stored, value, None if dated_today else on, note)
    loan = open_loan(session, loan_id)
    budget, drawn = _rehab(session, loan)
    check_draw(value, undrawn=loan.undrawn, rehab_budget=budget, rehab_drawn=drawn)
    draw = Draw(loan_id=loan.id, amount=value, fee=loan.draw_fee, status="requested",
                note=note, requested_on=on, request_key=token)  # fmt: skip
    session.add(draw)
    session.flush()
    event(session, loan.id, "draw_requested", on, f"draw {draw.id} of {value:.2f} requested")
    return Requested(draw, created=True)


def _draw(session: Session, draw_id: int) -> Draw:
    draw = session.get(Draw, draw_id)
    if draw is None:
        raise NotFound("draw_id", f"there is no draw {draw_id}")
    return draw


def draw_action(session: Session, draw_id: int, action: str, on: date) -> Draw:
    """Inspect, approve or reject a draw (funding is `fund_draw`)."""
    if action == "fund":
        return fund_draw(session, draw_id, on)
    draw = _draw(session, draw_id)
    open_loan(session, draw.loan_id)
    draw.status = next_status(draw.status, action)
    if action == "inspect":
        draw.inspected_on = on
    elif action == "approve":
        draw.approved_on = on
    else:
        draw.rejected_on = on
    event(session, draw.loan_id, f"draw_{draw.status}", on, f"draw {draw.id} {draw.status}")
    return draw


def fund_draw(session: Session, draw_id: int, on: date) -> Draw:
    """Send an approved draw's money: interest is counted to the day on the old balance, the
    balance grows by the draw, and the draw fee is charged."""
    draw = _draw(session, draw_id)
    loan = open_loan(session, draw.loan_id)
    draw.status = next_status(draw.status, "fund")
    budget, drawn = _rehab(session, loan)
    check_draw(draw.amount, undrawn=loan.undrawn, rehab_budget=budget, rehab_drawn=drawn)
    if on < loan.accrued_to or on < draw.requested_on:
        raise LendingInputError(
            "date", f"must not be before {max(loan.accrued_to, draw.requested_on)}"
        )
    terms = terms_of(loan)
    start = default_start(terms, facts_of(session, loan.id), funded_draws(session, loan.id), on)
    state = accrue(state_of(loan), terms, on, start)
    state = replace(state, balance=state.balance + draw.amount, undrawn=state.undrawn - draw.amount)
    record(session, loan, "draw", on, f"draw:{draw.id}", Parts(draw.amount, principal=draw.amount),
           f"draw {draw.id} funded")  # fmt: skip
    if draw.fee:
        record(session, loan, "fee", on, f"draw-fee:{draw.id}", Parts(draw.fee, fees=draw.fee),
               f"draw fee on draw {draw.id}")  # fmt: skip
        state = replace(state, fees=state.fees + draw.fee)
    store_state(loan, state)
    draw.funded_on = on
    refresh_schedule(session, loan)
    return draw


def loans(session: Session, status: str | None = None) -> list[Loan]:
    """Loans, newest first, optionally of one status (open, paid_off or charged_off)."""
    query = select(Loan).order_by(Loan.id.desc())
    status = check_loan_status(status or "")
    if status:
        query = query.where(Loan.status == status)
    return list(session.scalars(query))


def locked(session: Session, loan_id: int) -> Loan:
    """The loan locked (for callers that change it)."""
    return locked_loan(session, loan_id)
