"""Read models of lending as plain dataclasses: a loan's detail and the book as of a day, for
the CLI and API now and for the pages later."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from evergreen.errors import NotFound
from evergreen.lending.models import (
    Borrower,
    Draw,
    LendingSettings,
    Loan,
    LoanEvent,
    Movement,
    Property,
)
from evergreen.lending.rules import (
    BUCKETS,
    Due,
    LoanTerms,
    book_xirr,
    bucket,
    calendar_rows,
    calendar_through,
    days_late,
    days_past_due,
    expected_calendar,
    loan_to_arv,
    loan_to_cost,
    schedule_position,
    weighted_rate,
)
from evergreen.lending.rules.amounts import CENT, ZERO
from evergreen.lending.rules.replay import Fact
from evergreen.lending.service.records import (
    LoanRecord,
    facts_of,
    funded_draws,
    quote_of,
    terms_of,
)

__all__ = ["BorrowerRow", "LoanView", "Portfolio", "borrower_rows", "calendar", "draw", "draws",
           "history", "loan_detail", "movements", "portfolio"]  # fmt: skip

# Principal owed: what each kind of movement adds (+1) or takes (-1); cash: in (+1) or out (-1).
_PRINCIPAL = {"funding": 1, "draw": 1, "payment": -1, "payoff": -1, "charge_off": -1}
_CASH = {"funding": -1, "draw": -1, "closing": 1, "payment": 1, "payoff": 1, "recovery": 1}


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
    loan = session.get(Loan, loan_id)
    if loan is None:
        raise NotFound("loan_id", f"there is no loan {loan_id}")
    borrower = session.get(Borrower, loan.borrower_id)
    prop = session.get(Property, loan.property_id) if loan.property_id else None
    return _view(loan, borrower.name if borrower else "", prop, facts_of(session, loan.id),
                 funded_draws(session, loan.id), as_of)  # fmt: skip


def _view(
    loan: LoanRecord,
    borrower: str,
    prop: Property | None,
    facts: list[Fact],
    draws: list[tuple[date, Decimal]],
    as_of: date,
) -> LoanView:
    """The view from rows already loaded (the portfolio loads them for the whole book at once,
    and the movements only of the loans whose view replays them). With nothing paid after
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
    q = quote_of(loan, facts, draws, max(as_of, loan.start))
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


@dataclass(frozen=True)
class Portfolio:
    """The book on a day: capital deployed, yield, delinquency, maturities and concentration."""

    as_of: date
    deployed: Decimal
    loans: int
    xirr: float | None
    idle: Decimal | None
    weighted_rate: Decimal | None
    buckets: dict[str, int] = field(default_factory=dict)
    maturities: list[tuple[int, str, date, Decimal]] = field(default_factory=list)
    concentration: list[tuple[str, Decimal, Decimal]] = field(default_factory=list)
    views: list[LoanView] = field(default_factory=list)  # each open loan, for the book's page

    def contract(self) -> dict[str, Any]:
        """The CLI's `portfolio --json`: deployed, the number of loans, the book's XIRR."""
        return {"deployed": float(round(self.deployed, 2)), "loans": self.loans,
                "xirr": None if self.xirr is None else round(self.xirr, 10)}  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        """Everything, JSON-ready."""
        return {
            **self.contract(), "as_of": self.as_of.isoformat(), "idle": _money(self.idle),
            "weighted_rate": None if self.weighted_rate is None else f"{self.weighted_rate:f}",
            "buckets": self.buckets,
            "maturities": [{"loan_id": i, "borrower": b, "maturity": m.isoformat(),
                            "balance": _money(v)} for i, b, m, v in self.maturities],
            "concentration": [{"borrower": b, "balance": _money(v), "share": f"{s:f}"}
                              for b, v, s in self.concentration],
        }  # fmt: skip


def _cents_sum(column: Any) -> Any:
    """SUM of an amount in whole cents: exact on SQLite (whose NUMERIC sums are floats) too."""
    return func.sum(func.round(column * 100))


def _from_cents(total: Any) -> Decimal:
    return (Decimal(int(total or 0)) / 100).quantize(CENT)


def _facts_to_replay(
    session: Session, loans: list[LoanRecord], as_of: date
) -> dict[int, list[Fact]]:
    """The movements of the loans whose view needs them: those with movements (or interest
    counted) after `as_of`, replayed to that day, and those with default interest, whose start
    is judged from what was paid. Any other loan's view reads its running position alone."""
    later = set(session.scalars(select(Movement.loan_id).where(Movement.on > as_of).distinct()))
    ids = [
        loan.id
        for loan in loans
        if loan.id in later or loan.accrued_to > as_of or loan.default_rate is not None
    ]
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


def portfolio(session: Session, as_of: date, idle: Decimal | None = None) -> Portfolio:
    """The book on `as_of`. XIRR: every dated cash flow up to `as_of` (funding out net of what
    was received at closing, draws out, payments and recoveries in), plus each loan open that
    day at its payoff total, as Excel's XIRR computes it. The book is read in a few queries.
    Idle capital, unless given: the capital the owner set aside for lending less deployed."""
    capital = session.scalar(
        select(LendingSettings.capital_available).where(LendingSettings.id == 1)
    )
    # Plain rows of the loans' table, not mapped objects: mapping 10,000 costs more than the rest.
    loans: list[LoanRecord] = list(session.connection().execute(
        select(*Loan.__table__.columns)
        .where(Loan.start <= as_of, or_(Loan.closed_on.is_(None), Loan.closed_on > as_of))
        .order_by(Loan.id)
    ))  # fmt: skip
    names = dict(session.execute(select(Borrower.id, Borrower.name)).all())
    places = {p.id: p for p in session.scalars(select(Property))}
    owed: dict[int, Decimal] = defaultdict(lambda: ZERO)
    flows: dict[date, Decimal] = defaultdict(lambda: ZERO)
    # The movements are summed in the database (in whole cents, exact on both databases): a
    # book of 10,000 loans has hundreds of thousands of them, a row per payment.
    for day, kind, amount in session.execute(
        select(Movement.on, Movement.kind, _cents_sum(Movement.amount))
        .where(Movement.on <= as_of).group_by(Movement.on, Movement.kind)
    ):  # fmt: skip
        flows[day] += _CASH.get(kind, 0) * _from_cents(amount)
    # Principal owed: the loan's running balance, or, where the view replays the movements
    # (some dated after `as_of`), their sum to that day.
    facts = _facts_to_replay(session, loans, as_of)
    for loan in loans:
        if loan.id in facts:
            owed[loan.id] = sum((_PRINCIPAL.get(f.kind, 0) * f.principal
                                 for f in facts[loan.id] if f.on <= as_of), ZERO)  # fmt: skip
        else:
            owed[loan.id] = loan.balance
    draws: dict[int, list[tuple[date, Decimal]]] = defaultdict(list)
    for loan_id, day, amount in session.execute(
        select(Draw.loan_id, Draw.funded_on, Draw.amount)
        .where(Draw.status == "funded").order_by(Draw.funded_on, Draw.id)
    ):  # fmt: skip
        if day is not None:
            draws[loan_id].append((day, amount))
    buckets = dict.fromkeys(BUCKETS, 0)
    by_borrower: dict[str, Decimal] = defaultdict(lambda: ZERO)
    views = []
    for loan in loans:
        name = names.get(loan.borrower_id, "")
        prop = places.get(loan.property_id) if loan.property_id else None
        view = _view(loan, name, prop, facts.get(loan.id, []), draws[loan.id], as_of)
        views.append(view)
        flows[as_of] += view.payoff
        buckets[view.bucket] += 1
        by_borrower[name] += owed[loan.id]
    deployed = sum((owed[loan.id] for loan in loans), ZERO)
    if idle is None and capital is not None:
        idle = capital - deployed
    share = (lambda v: (v / deployed).quantize(Decimal("0.0001"))) if deployed else (lambda v: ZERO)
    return Portfolio(
        as_of, deployed, len(loans), book_xirr(sorted(flows.items())), idle,
        weighted_rate([(owed[loan.id], loan.annual_rate) for loan in loans]), buckets,
        sorted(((loan.id, names.get(loan.borrower_id, ""), loan.maturity, owed[loan.id])
                for loan in loans if loan.maturity >= as_of), key=lambda m: (m[2], m[0])),
        sorted(((b, v, share(v)) for b, v in by_borrower.items()), key=lambda c: -c[1]),
        views,
    )  # fmt: skip


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
