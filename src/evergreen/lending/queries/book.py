"""The book on a day: capital deployed, yield, delinquency, maturities and concentration, for a
book of 10,000 loans in a few queries. Each loan is read from its running position (balance,
interest counted to a day, oldest unpaid due date: kept by the service on every movement) as
plain numbers and priced by the payoff quote's own rules; only a loan with movements after the
day replays them, and full views are built only for the loans a page shows."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import BigInteger, cast, func, or_, select
from sqlalchemy.orm import Session

from evergreen.lending.models import Borrower, LendingSettings, Loan, Movement
from evergreen.lending.queries.loans import loan_views
from evergreen.lending.rules import (
    BUCKETS,
    book_xirr,
    bucket,
    days_late,
    default_day,
    interest_since,
    weighted_rate,
)
from evergreen.lending.rules.amounts import CENT, ZERO
from evergreen.lending.rules.book import prepayment_charge
from evergreen.lending.service.records import LoanRecord, prepayment_earned

__all__ = ["BookLine", "Portfolio", "portfolio"]

# Cash: what each kind of movement brings in (+1) or pays out (-1); charges move no cash.
_CASH = {"funding": -1, "draw": -1, "closing": 1, "payment": 1, "payoff": 1, "recovery": 1}


def _day_number(line: BookLine) -> int:
    """Sorts by maturity; a stable sort of lines in id order keeps ids in order within a day
    (whole numbers compare faster than dates: 10,000 lines)."""
    return line.maturity.toordinal()


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


class BookLine(NamedTuple):
    """One loan open on the day, as the book counts, charts, filters and pages it."""

    id: int
    borrower_id: int
    borrower: str
    balance: Decimal  # principal outstanding
    days_past_due: int
    bucket: str
    maturity: date
    payoff: Decimal  # the payoff quote's total that day: the book's XIRR counts it received


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
    lines: list[BookLine] = field(default_factory=list)  # each open loan, by id

    def contract(self) -> dict[str, Any]:
        """The CLI's `portfolio --json`: deployed, the number of loans, the book's XIRR."""
        return {"deployed": float(round(self.deployed, 2)), "loans": self.loans,
                "xirr": None if self.xirr is None else round(self.xirr, 10)}  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        """Everything but the lines, JSON-ready."""
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


def _units(column: Any) -> Any:
    """A money column in whole ten-thousandths (its 4 decimals): an exact integer on both
    databases, read without making 10,000 Decimals of SQLite's floats first."""
    return cast(func.round(column * 10_000), BigInteger)


def _amount(units: int) -> Decimal:
    return Decimal(units).scaleb(-4)


def _cash_flows(session: Session, as_of: date) -> dict[date, Decimal]:
    """Cash in (+) and out (-) per day up to `as_of`, summed in the database in whole cents
    (hundreds of thousands of movements, a row per payment), read from its index."""
    flows: dict[date, Decimal] = defaultdict(lambda: ZERO)
    for day, kind, cents in session.connection().execute(
        select(Movement.on, Movement.kind, _cents_sum(Movement.amount))
        .where(Movement.on <= as_of).group_by(Movement.on, Movement.kind)
    ):  # fmt: skip
        flows[day] += _CASH.get(kind, 0) * (Decimal(int(cents or 0)) / 100).quantize(CENT)
    return flows


def portfolio(session: Session, as_of: date, idle: Decimal | None = None) -> Portfolio:
    """The book on `as_of`. XIRR: every dated cash flow up to `as_of` (funding out net of what
    was received at closing, draws out, payments and recoveries in), plus each loan open that
    day at its payoff total as the payoff quote gives it (prepayment charge included), as
    Excel's XIRR computes it. Idle capital, unless given: the capital the owner set aside for
    lending less deployed."""
    capital = session.scalar(
        select(LendingSettings.capital_available).where(LendingSettings.id == 1)
    )
    in_book = (Loan.start <= as_of, or_(Loan.closed_on.is_(None), Loan.closed_on > as_of))
    read = session.connection().execute  # plain rows: mapping 10,000 costs more than the rest
    rows = read(
        select(Loan.id, Loan.borrower_id, Loan.status, _units(Loan.balance),
               _units(Loan.undrawn), _units(Loan.interest_due), _units(Loan.default_interest_due),
               _units(Loan.fees_due), Loan.annual_rate, Loan.default_rate,
               Loan.default_after_days, Loan.day_count, Loan.dutch, Loan.accrued_to,
               Loan.maturity, Loan.next_due)
        .where(*in_book).order_by(Loan.id)
    ).all()  # fmt: skip
    names: dict[int, str] = dict(read(select(Borrower.id, Borrower.name)).all())
    # Loans whose prepayment terms may add to a payoff that day: their rows and interest paid.
    prepaying: dict[int, LoanRecord] = {row.id: row for row in read(
        select(*Loan.__table__.columns).where(
            *in_book, Loan.maturity > as_of,
            or_(Loan.min_interest_months > 0, Loan.prepay_pct > 0))
    )}  # fmt: skip
    earned = prepayment_earned(session, list(prepaying.values()), as_of)
    # A loan moved after `as_of` (or closed since) is replayed to that day, as its own view is.
    later = set(read(select(Movement.loan_id).where(Movement.on > as_of).distinct()).scalars())
    lines: list[BookLine] = []
    replayed: list[int] = []
    for (loan_id, borrower_id, status, balance_u, undrawn_u, interest_u, default_u, fees_u,
         rate, default_rate, default_after, day_count, dutch, accrued_to, maturity,
         next_due) in rows:  # fmt: skip
        if status != "open" or accrued_to > as_of or loan_id in later:
            replayed.append(loan_id)
            continue
        late = days_late(next_due, as_of)
        balance = _amount(balance_u)
        payoff = _amount(balance_u + interest_u + default_u + fees_u)  # owed when last counted
        more = ZERO
        if as_of > accrued_to:  # the payoff quote's accrual, from the stored position
            base = _amount(balance_u + undrawn_u) if dutch else balance
            start = None if default_rate is None else default_day(maturity, default_after, late,
                                                                  as_of)  # fmt: skip
            more, extra = interest_since(base, rate, default_rate, accrued_to, as_of, day_count,
                                         start)  # fmt: skip
            payoff += more + extra
        if loan_id in earned:
            interest = _amount(interest_u) + more
            payoff += prepayment_charge(prepaying[loan_id], balance, as_of,
                                        earned[loan_id] + interest)  # fmt: skip
        lines.append(BookLine(loan_id, borrower_id, names.get(borrower_id, ""), balance, late,
                              bucket(late), maturity, payoff))  # fmt: skip
    if replayed:
        owner = dict(read(select(Loan.id, Loan.borrower_id).where(Loan.id.in_(replayed))).all())
        lines.extend(BookLine(v.id, owner[v.id], v.borrower, v.balance,
                              v.days_past_due, v.bucket, v.maturity, v.payoff)
                     for v in loan_views(session, replayed, as_of))  # fmt: skip
        lines.sort(key=lambda line: line.id)
    return _figures(session, as_of, capital, idle, lines, [row.annual_rate for row in rows])


def _figures(
    session: Session,
    as_of: date,
    capital: Decimal | None,
    idle: Decimal | None,
    lines: list[BookLine],
    rates: list[Decimal],
) -> Portfolio:
    """The book's figures from its lines (in id order, as `rates`)."""
    flows = _cash_flows(session, as_of)
    flows[as_of] += sum((line.payoff for line in lines), ZERO)
    buckets = dict.fromkeys(BUCKETS, 0)
    by_borrower: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        buckets[line.bucket] += 1
        by_borrower[line.borrower] += line.balance
    deployed = sum((line.balance for line in lines), ZERO)
    if idle is None and capital is not None:
        idle = capital - deployed
    share = (lambda v: (v / deployed).quantize(Decimal("0.0001"))) if deployed else (lambda v: ZERO)
    return Portfolio(
        as_of, deployed, len(lines), book_xirr(sorted(flows.items())), idle,
        weighted_rate([(line.balance, rate) for line, rate in zip(lines, rates, strict=True)]),
        buckets,
        [(line.id, line.borrower, line.maturity, line.balance) for line in sorted(
            (line for line in lines if line.maturity >= as_of), key=_day_number)],
        sorted(((b, v, share(v)) for b, v in by_borrower.items()), key=lambda c: -c[1]),
        lines,
    )  # fmt: skip
