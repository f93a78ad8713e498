"""Read models of one loan as plain dataclasses: its view on a day (what is owed, due, late),
calendar, history, movements and draws; the borrowers' list."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.errors import NotFound
from evergreen.lending.models import Borrower, Draw, Loan, LoanEvent, Movement, Property
from evergreen.lending.rules import (
    Due,
    LoanTerms,
    bucket,
    calendar_rows,
    calendar_through,
    days_late,
    days_past_due,
    expected_calendar,
    loan_to_arv,
    loan_to_cost,
    schedule_position,
)
from evergreen.lending.rules.amounts import ZERO
from evergreen.lending.rules.replay import Fact
from evergreen.lending.service.records import (
    LoanRecord,
    funded_draws,
    prepayment_earned,
    quote_of,
    terms_of,
    with_prepayment,
)

__all__ = ["BorrowerName", "BorrowerRow", "LoanView", "borrower_names", "borrower_rows",
           "calendar", "draw", "draws", "history", "loan_detail", "loan_facts", "loan_views",
           "movements"]  # fmt: skip


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


@dataclass(frozen=True)
class LoanView:
    """One loan as of a day: what is owed, what is due next, how late, how well secured."""

    id: int
    borrower: str
    status: str
    as_of: date
    principal: Decimal
    balance: Decimal
    annual_rate: Decimal
    day_count: str
    start: date
    maturity: date
    accrued: Decimal
    fees: Decimal
    per_diem: Decimal
    payoff: Decimal
    next_due: date | None
    next_amount: Decimal
    due_now: Decimal  # everything the calendar asked for by as_of and not yet paid
    days_past_due: int
    bucket: str
    ltc: Decimal | None
    ltv: Decimal | None
    stream_id: int | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: money as strings in cents, dates ISO."""
        return {
            "id": self.id, "borrower": self.borrower, "status": self.status,
            "as_of": self.as_of.isoformat(), "principal": _money(self.principal),
            "balance": _money(self.balance), "annual_rate": f"{self.annual_rate.normalize():f}",
            "day_count": self.day_count, "start": self.start.isoformat(),
            "maturity": self.maturity.isoformat(), "accrued": _money(self.accrued),
            "fees": _money(self.fees), "per_diem": _money(self.per_diem),
            "payoff": _money(self.payoff),
            "next_due": self.next_due.isoformat() if self.next_due else None,
            "next_amount": _money(self.next_amount), "due_now": _money(self.due_now),
            "days_past_due": self.days_past_due,
            "bucket": self.bucket, "ltc": None if self.ltc is None else f"{self.ltc:f}",
            "ltv": None if self.ltv is None else f"{self.ltv:f}", "stream_id": self.stream_id,
        }  # fmt: skip


def loan_detail(session: Session, loan_id: int, as_of: date) -> LoanView:
    """A loan's balance, accrued interest, next payment, delinquency and LTC / LTV on `as_of`."""
    found = loan_views(session, [loan_id], as_of)
    if not found:
        raise NotFound("loan_id", f"there is no loan {loan_id}")
    return found[0]


def loan_views(session: Session, ids: Sequence[int], as_of: date) -> list[LoanView]:
    """The views of these loans on `as_of`, in their order (unknown ids left out): the book's
    page shows a page of them, read in a few queries whatever the book's size."""
    loans: dict[int, LoanRecord] = {row.id: row for row in session.connection().execute(
        select(*Loan.__table__.columns).where(Loan.id.in_(ids))
    )}  # fmt: skip
    rows = [loans[i] for i in ids if i in loans]
    names = dict(session.execute(select(Borrower.id, Borrower.name).where(
        Borrower.id.in_({loan.borrower_id for loan in rows}))).all())  # fmt: skip
    places = {p.id: p for p in session.scalars(select(Property).where(
        Property.id.in_({loan.property_id for loan in rows if loan.property_id})))}  # fmt: skip
    facts = loan_facts(session, [loan.id for loan in rows])
    draws: dict[int, list[tuple[date, Decimal]]] = defaultdict(list)
    for loan_id, day, amount in session.execute(
        select(Draw.loan_id, Draw.funded_on, Draw.amount)
        .where(Draw.loan_id.in_(loans), Draw.status == "funded")
        .order_by(Draw.funded_on, Draw.id)
    ):  # fmt: skip
        if day is not None:
            draws[loan_id].append((day, amount))
    earned: dict[int, Decimal] = {}
    for day in {max(as_of, loan.start) for loan in rows}:  # a view before the start quotes it
        earned.update(prepayment_earned(
            session, [loan for loan in rows if max(as_of, loan.start) == day], day))  # fmt: skip
    return [_view(loan, names.get(loan.borrower_id, ""),
                  places.get(loan.property_id) if loan.property_id else None,
                  facts[loan.id], draws[loan.id], as_of, earned) for loan in rows]  # fmt: skip


def loan_facts(session: Session, ids: Sequence[int]) -> dict[int, list[Fact]]:
    """The movements of these loans as plain values, each loan's in the order they happened."""
    facts: dict[int, list[Fact]] = {i: [] for i in ids}
    for i in range(0, len(ids), 500):
        for m in session.execute(
            select(Movement.loan_id, Movement.kind, Movement.on, Movement.amount,
                   Movement.principal, Movement.interest, Movement.default_interest,
                   Movement.fees)
            .where(Movement.loan_id.in_(ids[i : i + 500])).order_by(Movement.on, Movement.id)
        ):  # fmt: skip
            facts[m.loan_id].append(Fact(m.kind, m.on, m.amount, m.principal, m.interest,
                                         m.default_interest, m.fees))  # fmt: skip
    return facts


def _view(
    loan: LoanRecord,
    borrower: str,
    prop: Property | None,
    facts: list[Fact],
    draws: list[tuple[date, Decimal]],
    as_of: date,
    earned: dict[int, Decimal],
) -> LoanView:
    """The view from rows already loaded; its payoff is the payoff quote's, with what the
    prepayment terms add (`earned` from `prepayment_earned`). With nothing paid after
    `as_of`, where the payments stand is read from the loan's row (kept by the service on every
    movement); only a past day before the last movement walks the calendar."""
    next_due, next_amount, due_now, late = None, ZERO, ZERO, 0
    if loan.status == "open" and as_of >= max((f.on for f in facts), default=loan.start):
        next_due, next_amount = loan.next_due, loan.next_amount
        late = days_late(next_due, as_of)
        if next_due is not None and next_due <= as_of:  # behind: the rows due since add up
            due_now = next_amount + sum(
                (r.amount for r in _rows_between(terms_of(loan), draws, next_due, as_of)), ZERO
            )
    elif loan.status == "open":
        paid = sum((f.toward_schedule for f in facts if f.on <= as_of), ZERO)
        calendar = calendar_through(terms_of(loan), draws, paid, as_of)
        late = days_past_due(calendar, paid, as_of)
        due_now = max(sum((r.amount for r in calendar if r.on <= as_of), ZERO) - paid, ZERO)
        next_due, next_amount = schedule_position(calendar, paid)
    q = with_prepayment(loan, quote_of(loan, facts, draws, max(as_of, loan.start)), earned)
    lent = loan.principal + (loan.commitment - loan.principal if loan.commitment else ZERO)
    return LoanView(
        loan.id, borrower, loan.status, as_of, loan.principal,
        q.principal, loan.annual_rate, loan.day_count, loan.start, loan.maturity,
        q.interest + q.default_interest, q.fees, q.per_diem, q.total, next_due, next_amount,
        due_now, late, bucket(late),
        loan_to_cost(lent, prop.purchase_price, prop.rehab_budget) if prop else None,
        loan_to_arv(lent, prop.arv) if prop else None, loan.stream_id,
    )  # fmt: skip


def _rows_between(
    terms: LoanTerms, draws: list[tuple[date, Decimal]], after: date, through: date
) -> list[Due]:
    """The calendar's rows due after `after` and by `through` (a late loan's missed months)."""
    rows = []
    for row in calendar_rows(terms, draws, after):
        if row.on > through:
            break
        rows.append(row)
    return rows


def calendar(session: Session, loan_id: int) -> list[dict[str, str]]:
    """The expected payments calendar (interest, principal, payment), funded draws included."""
    loan = session.get(Loan, loan_id)
    if loan is None:
        raise NotFound("loan_id", f"there is no loan {loan_id}")
    rows = expected_calendar(terms_of(loan), funded_draws(session, loan.id))
    return [{"date": r.on.isoformat(), "interest": f"{r.interest:.2f}",
             "principal": f"{r.principal:.2f}", "payment": f"{r.amount:.2f}"}
            for r in rows]  # fmt: skip


def history(session: Session, loan_id: int) -> list[dict[str, str]]:
    """The loan's events, oldest first: what happened, on which day, in words."""
    if session.get(Loan, loan_id) is None:
        raise NotFound("loan_id", f"there is no loan {loan_id}")
    rows = session.scalars(
        select(LoanEvent).where(LoanEvent.loan_id == loan_id).order_by(LoanEvent.on, LoanEvent.id)
    )
    return [{"date": e.on.isoformat(), "kind": e.kind, "detail": e.detail} for e in rows]


def movements(session: Session, loan_id: int) -> list[Movement]:
    """The loan's money movements, oldest first, each with its split."""
    return list(session.scalars(
        select(Movement).where(Movement.loan_id == loan_id).order_by(Movement.on, Movement.id)
    ))  # fmt: skip


def draws(session: Session, loan_id: int) -> list[Draw]:
    """The loan's draws, oldest first, in every status."""
    return list(session.scalars(
        select(Draw).where(Draw.loan_id == loan_id).order_by(Draw.requested_on, Draw.id)
    ))  # fmt: skip


def draw(session: Session, draw_id: int) -> Draw:
    """One draw, or NotFound."""
    row = session.get(Draw, draw_id)
    if row is None:
        raise NotFound("draw_id", f"there is no draw {draw_id}")
    return row


@dataclass(frozen=True)
class BorrowerRow:
    """A borrower with how many loans they have and the principal they owe (open loans)."""

    id: int
    name: str
    kind: str
    email: str
    phone: str
    loans: int
    open_balance: Decimal


def borrower_rows(session: Session) -> list[BorrowerRow]:
    """Every borrower by name, with their loan count and open balance, in two queries."""
    counts: dict[int, int] = defaultdict(int)
    owed: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for borrower_id, status, balance in session.execute(
        select(Loan.borrower_id, Loan.status, Loan.balance)
    ):
        counts[borrower_id] += 1
        if status == "open":
            owed[borrower_id] += balance
    return [BorrowerRow(b.id, b.name, b.kind, b.email, b.phone, counts[b.id], owed[b.id])
            for b in session.scalars(select(Borrower).order_by(Borrower.name))]  # fmt: skip


class BorrowerName(NamedTuple):
    """A borrower as a filter lists them."""

    id: int
    name: str


def borrower_names(session: Session) -> list[BorrowerName]:
    """Every borrower's id and name, by name: thousands listed without mapping each row."""
    rows = session.connection().execute(select(Borrower.id, Borrower.name).order_by(Borrower.name))
    return [BorrowerName(i, name) for i, name in rows]
