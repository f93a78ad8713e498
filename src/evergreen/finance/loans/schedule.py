"""A dated private loan: schedule, payoff quote and the lender's XIRR, as a note would run it.

Model, stated once:

- ``principal`` is the commitment. Draws release a holdback from it (rehab funds); what is not
  held back is funded at closing. Draws are allowed on interest-only loans only.
- Points are ``points`` percent of the commitment, paid by the borrower at closing (cutting the
  lender's net outlay) or, when ``points_financed``, added to the balance the borrower owes.
- Payments are due monthly on the start date's day (clamped to month end). Interest for a
  period is simple interest by the day count: the opening balance for the whole period plus
  each draw from its date. With ``dutch_interest`` it is charged on the whole commitment
  (plus financed points) from closing, drawn or not. Under 30/360 a payment date counts as
  the note's payment day (capped at 30), so every period is 30 days even when the note starts
  on the 31st or a due date is clamped to the end of February.
- An amortising payment is the level payment at ``annual_rate / 12``, but never less than the
  period's interest (unpaid interest does not compound) and never more than the balance plus
  interest; the last payment repays whatever is left as a balloon, so the loan ends at zero.
- A payment not made is late once ``grace_days`` have passed after its due date; each late
  payment costs ``late_fee_rate`` of its regular amount (balloon excluded) plus
  ``late_fee_flat``. The loan is in default from the due date of the first payment that is
  past its grace period, or from maturity if still unpaid after it; from then on
  ``default_rate`` replaces the note rate (the difference is itemised as default interest).
- Unpaid interest does not compound. Money is float and unrounded.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from evergreen.finance.cashflows import xirr
from evergreen.finance.errors import FinanceInputError
from evergreen.finance.inputs import checked_amount, checked_annual_rate, checked_months
from evergreen.finance.loans import payment
from evergreen.finance.loans.daycount import DayCount, add_months, check_day_count, day_count

__all__ = [
    "Draw",
    "LoanSchedule",
    "LoanTerms",
    "PayoffQuote",
    "ScheduleRow",
    "lender_cash_flows",
    "lender_xirr",
    "payoff_quote",
    "schedule",
]


class Draw(NamedTuple):
    """One release of held-back funds, so interest can start on the day the money leaves."""

    date: dt.date
    amount: float


@dataclass(frozen=True)
class LoanTerms:
    """Everything a private note says about money and time, checked once on creation."""

    principal: float
    annual_rate: float
    term_months: int
    start_date: dt.date
    amortization_months: int | None = None
    points: float = 0.0
    points_financed: bool = False
    day_count: DayCount = "30/360"
    draws: Sequence[tuple[dt.date, float]] = ()
    dutch_interest: bool = False
    default_rate: float | None = None
    late_fee_rate: float = 0.0
    late_fee_flat: float = 0.0
    grace_days: int = 10

    def __post_init__(self) -> None:
        checked_amount("principal", self.principal)
        rate = checked_annual_rate(self.annual_rate)
        term = checked_months("term_months", self.term_months)
        if not isinstance(self.start_date, dt.date):
            raise FinanceInputError("start_date", "must be a date")
        if self.amortization_months is not None:
            amortization = checked_months("amortization_months", self.amortization_months)
            if amortization < term:
                raise FinanceInputError(
                    "amortization_months",
                    f"must be at least term_months ({amortization} < {term}); "
                    "use None for interest-only",
                )
        if not 0 <= checked_amount("points", self.points, positive=False) < 100:
            raise FinanceInputError("points", f"must be below 100 (got {self.points})")
        check_day_count(self.day_count)
        draws = tuple(sorted(Draw(day, amount) for day, amount in self.draws))
        maturity = add_months(self.start_date, term)
        for day, amount in draws:
            checked_amount("draws", amount)
            if not self.start_date < day <= maturity:
                raise FinanceInputError(
                    "draws",
                    f"draw dates must be after the start and on or before maturity "
                    f"({self.start_date.isoformat()} .. {maturity.isoformat()}; "
                    f"got {day.isoformat()})",
                )
        if draws and self.amortization_months is not None:
            raise FinanceInputError(
                "draws", "draws are supported on interest-only loans; set amortization_months=None"
            )
        if sum(amount for _, amount in draws) > self.principal:
            raise FinanceInputError("draws", "draws must not add up to more than the principal")
        object.__setattr__(self, "draws", draws)
        if (
            self.default_rate is not None
            and checked_annual_rate(self.default_rate, "default_rate") < rate
        ):
            raise FinanceInputError(
                "default_rate", f"must be at least annual_rate ({self.default_rate} < {rate})"
            )
        if not 0 <= checked_amount("late_fee_rate", self.late_fee_rate, positive=False) <= 1:
            raise FinanceInputError(
                "late_fee_rate",
                f"is a fraction of the payment, 0.05 for 5% (got {self.late_fee_rate})",
            )
        checked_amount("late_fee_flat", self.late_fee_flat, positive=False)
        checked_months("grace_days", self.grace_days, minimum=0, maximum=36_500)

    @property
    def points_fee(self) -> float:
        """Points in money: what the borrower pays (or owes) for the loan being made."""
        return self.principal * self.points / 100

    @property
    def note_amount(self) -> float:
        """Commitment plus financed points: the most the borrower can owe in principal."""
        return self.principal + (self.points_fee if self.points_financed else 0.0)

    @property
    def opening_balance(self) -> float:
        """Principal owed right after closing: funded amount plus any financed points."""
        return self.note_amount - sum(amount for _, amount in self.draws)

    @property
    def maturity(self) -> dt.date:
        """Date the last payment, with any balloon, is due."""
        return add_months(self.start_date, self.term_months)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe view so an API can echo the terms it priced."""
        return {
            "principal": self.principal,
            "annual_rate": self.annual_rate,
            "term_months": self.term_months,
            "start_date": self.start_date.isoformat(),
            "amortization_months": self.amortization_months,
            "points": self.points,
            "points_financed": self.points_financed,
            "day_count": self.day_count,
            "draws": [{"date": day.isoformat(), "amount": amount} for day, amount in self.draws],
            "dutch_interest": self.dutch_interest,
            "default_rate": self.default_rate,
            "late_fee_rate": self.late_fee_rate,
            "late_fee_flat": self.late_fee_flat,
            "grace_days": self.grace_days,
        }


@dataclass(frozen=True)
class ScheduleRow:
    """One monthly payment: when, for how many days, and how it splits."""

    period: int
    date: dt.date
    days: int
    interest: float
    principal: float
    balloon: float
    payment: float
    balance: float
    draws: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe view of the row."""
        return {
            "period": self.period,
            "date": self.date.isoformat(),
            "days": self.days,
            "interest": self.interest,
            "principal": self.principal,
            "balloon": self.balloon,
            "payment": self.payment,
            "balance": self.balance,
            "draws": self.draws,
        }


@dataclass(frozen=True)
class LoanSchedule:
    """The whole dated schedule with its totals, ready for a table or a chart."""

    terms: LoanTerms
    rows: list[ScheduleRow]
    total_interest: float
    total_paid: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe view of the schedule."""
        return {
            "terms": self.terms.to_dict(),
            "rows": [row.to_dict() for row in self.rows],
            "total_interest": self.total_interest,
            "total_paid": self.total_paid,
        }


@dataclass(frozen=True)
class PayoffQuote:
    """What it takes to close the loan on a date, itemised the way a payoff letter is."""

    on_date: dt.date
    payments_made: int
    missed_payments: int
    principal: float
    accrued_interest: float
    accrual_days: int
    default_interest: float
    default_from: dt.date | None
    late_fees: float
    late_fee_items: list[tuple[dt.date, float]] = field(default_factory=list)

    @property
    def total(self) -> float:
        """Sum of the parts: the wire the borrower must send."""
        return self.principal + self.accrued_interest + self.default_interest + self.late_fees

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe view of the quote."""
        return {
            "on_date": self.on_date.isoformat(),
            "payments_made": self.payments_made,
            "missed_payments": self.missed_payments,
            "principal": self.principal,
            "accrued_interest": self.accrued_interest,
            "accrual_days": self.accrual_days,
            "default_interest": self.default_interest,
            "default_from": None if self.default_from is None else self.default_from.isoformat(),
            "late_fees": self.late_fees,
            "late_fee_items": [
                {"due": day.isoformat(), "fee": fee} for day, fee in self.late_fee_items
            ],
            "total": self.total,
        }


def _drawn(terms: LoanTerms, after: dt.date, through: dt.date) -> list[tuple[dt.date, float]]:
    return [(day, amount) for day, amount in terms.draws if after < day <= through]


def _last_of_february(day: dt.date) -> bool:
    return day.month == 2 and day.day == calendar.monthrange(day.year, 2)[1]


def _payment_day(terms: LoanTerms, day: dt.date) -> int | None:
    """The note's payment day if ``day`` is on its payment calendar (clamped dates included)."""
    anchor = terms.start_date.day
    month_end = calendar.monthrange(day.year, day.month)[1]
    return (
        min(anchor, 30) if day >= terms.start_date and day.day == min(anchor, month_end) else None
    )


def _days(terms: LoanTerms, start: dt.date, end: dt.date) -> int:
    """Days of interest; on 30/360 a payment date counts as the payment day, so months are 30."""
    days = day_count(start, end, terms.day_count)  # also refuses an end before the start
    on_start, on_end = _payment_day(terms, start), _payment_day(terms, end)
    if terms.day_count != "30/360" or (on_start is None and on_end is None):
        return days
    # 30/360 US with the payment calendar's dates read as its day; other dates as daycount does.
    d1 = on_start if on_start is not None else 30 if _last_of_february(start) else start.day
    d2 = on_end if on_end is not None else end.day
    if d2 == 31 and d1 >= 30:
        d2 = 30
    d1 = min(d1, 30)
    return 360 * (end.year - start.year) + 30 * (end.month - start.month) + d2 - d1


def _yf(terms: LoanTerms, start: dt.date, end: dt.date) -> float:
    return _days(terms, start, end) / (365 if terms.day_count == "actual/365" else 360)


def _accrue(terms: LoanTerms, balance: float, start: dt.date, end: dt.date, rate: float) -> float:
    """Simple interest from ``start`` to ``end`` on ``balance`` plus draws from their dates."""
    if terms.dutch_interest:
        return terms.note_amount * rate * _yf(terms, start, end)
    interest = balance * rate * _yf(terms, start, end)
    for day, amount in _drawn(terms, start, end):
        interest += amount * rate * _yf(terms, day, end)
    return interest


def schedule(terms: LoanTerms) -> LoanSchedule:
    """Dated payment schedule, so a lender sees every payment and the balloon before lending."""
    level = (
        None
        if terms.amortization_months is None
        else payment(terms.note_amount, terms.annual_rate, terms.amortization_months)
    )
    rows: list[ScheduleRow] = []
    owed, previous = terms.opening_balance, terms.start_date
    for period in range(1, terms.term_months + 1):
        due = add_months(terms.start_date, period)
        drawn = math.fsum(amount for _, amount in _drawn(terms, previous, due))
        interest = _accrue(terms, owed, previous, due, terms.annual_rate)
        owed += drawn
        # Level payment at rate / 12, but interest runs by day count: at least the interest,
        # at most the balance, and the last payment clears what is left.
        regular = 0.0 if level is None else min(max(level - interest, 0.0), owed)
        repaid = owed if period == terms.term_months else regular
        rows.append(
            ScheduleRow(
                period=period,
                date=due,
                days=_days(terms, previous, due),
                interest=interest,
                principal=repaid,
                balloon=repaid - regular,
                payment=interest + repaid,
                balance=0.0 if period == terms.term_months else owed - repaid,
                draws=drawn,
            )
        )
        owed, previous = owed - repaid, due
    return LoanSchedule(
        terms=terms,
        rows=rows,
        total_interest=math.fsum(row.interest for row in rows),
        total_paid=math.fsum(row.payment for row in rows),
    )


def payoff_quote(
    terms: LoanTerms, on_date: dt.date, payments_made: int | None = None
) -> PayoffQuote:
    """Amount to close the loan on ``on_date``; by default every payment due by then was made."""
    if on_date < terms.start_date:
        raise FinanceInputError(
            "on_date", f"must not be before the start date {terms.start_date.isoformat()}"
        )
    rows = schedule(terms).rows
    due = [row for row in rows if row.date <= on_date]
    made = (
        len(due)
        if payments_made is None
        else checked_months("payments_made", payments_made, minimum=0)
    )
    if made > len(due):
        raise FinanceInputError(
            "payments_made",
            f"only {len(due)} payments are due by {on_date.isoformat()} (got {made})",
        )
    if made == terms.term_months:
        return PayoffQuote(on_date, made, 0, 0.0, 0.0, 0, 0.0, None, 0.0)
    paid_through = rows[made - 1].date if made else terms.start_date
    owed = rows[made - 1].balance if made else terms.opening_balance
    missed = [row for row in due[made:] if row.payment > 0]  # nothing due once repaid early
    late = [row for row in missed if (on_date - row.date).days > terms.grace_days]
    fee_items = [
        (
            row.date,
            terms.late_fee_rate * (row.interest + row.principal - row.balloon)
            + terms.late_fee_flat,
        )
        for row in late
    ]
    defaults = [row.date for row in late]
    if on_date > terms.maturity:
        defaults.append(terms.maturity)
    default_from = min(defaults) if defaults else None
    premium = 0.0
    if default_from is not None and terms.default_rate is not None:
        start = max(default_from, paid_through)
        balance_then = owed + sum(amount for _, amount in _drawn(terms, paid_through, start))
        premium = _accrue(
            terms, balance_then, start, on_date, terms.default_rate - terms.annual_rate
        )
    return PayoffQuote(
        on_date=on_date,
        payments_made=made,
        missed_payments=len(missed),
        principal=owed + sum(amount for _, amount in _drawn(terms, paid_through, on_date)),
        accrued_interest=_accrue(terms, owed, paid_through, on_date, terms.annual_rate),
        accrual_days=_days(terms, paid_through, on_date),
        default_interest=premium,
        default_from=default_from,
        late_fees=math.fsum(fee for _, fee in fee_items),
        late_fee_items=fee_items,
    )


def lender_cash_flows(
    terms: LoanTerms, payoff_on: dt.date | None = None
) -> list[tuple[dt.date, float]]:
    """The lender's dated flows (out negative, in positive), repaid on schedule or on a date."""
    end = terms.maturity if payoff_on is None else payoff_on
    upfront = 0.0 if terms.points_financed else terms.points_fee
    funded = terms.principal - sum(amount for _, amount in terms.draws)
    flows = [(terms.start_date, upfront - funded)]
    flows += [(day, -amount) for day, amount in terms.draws if day <= end]
    flows += [(row.date, row.payment) for row in schedule(terms).rows if row.date <= end]
    if payoff_on is not None:
        quote = payoff_quote(terms, payoff_on)
        if quote.total > 0:
            flows.append((payoff_on, quote.total))
    return flows


def lender_xirr(terms: LoanTerms, payoff_on: dt.date | None = None) -> float:
    """Effective annual yield on the lender's dated flows, points and draws included."""
    try:
        return xirr(lender_cash_flows(terms, payoff_on))
    except FinanceInputError:
        # The flows change sign and earn at least nothing, so no root means a yield beyond the
        # solver's range: points leave the lender almost nothing at risk, or nothing is lent yet.
        field, fix = (
            ("points", f"{terms.points:g} points leave the lender too little at risk; lower them")
            if terms.points > 0
            else ("payoff_on", "nothing is lent for any time before it; choose a later payoff")
        )
        raise FinanceInputError(
            field,
            "the loan's cash flows have no yield (no rate between -99.99% and 100,000,000% a "
            f"year makes their value zero): {fix}",
        ) from None
