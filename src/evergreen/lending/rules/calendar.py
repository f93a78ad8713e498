"""The expected payments calendar and what follows from paying behind it: days past due, the
delinquency bucket, late fees after the grace period, and the day default interest starts.

Payments are due monthly on the start date's day (clamped to short months) and at maturity.
An interest-only note is due each month's interest and the principal at maturity; an amortising
note a level payment (rate ÷ 12 over the amortisation) with the balance as a balloon at
maturity. "Paid" compares cumulative sums: a due date is met once everything paid toward
interest and principal covers everything due through it (Fineract's arrears rule).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from evergreen.finance.loans.daycount import add_months
from evergreen.finance.loans.payments import payment
from evergreen.lending.errors import LendingInputError
from evergreen.lending.rules.amounts import ZERO, to_cents
from evergreen.lending.rules.interest import accrued
from evergreen.lending.rules.terms import LoanTerms

__all__ = [
    "BUCKETS",
    "Due",
    "bucket",
    "calendar_rows",
    "calendar_through",
    "days_late",
    "days_past_due",
    "default_day",
    "default_from",
    "due_dates",
    "expected_calendar",
    "late_fee_day",
    "late_fees",
    "schedule_position",
]

BUCKETS = ("current", "30", "60", "90+")


@dataclass(frozen=True)
class Due:
    """One scheduled payment: its date and the interest and principal due then."""

    on: date
    interest: Decimal
    principal: Decimal

    @property
    def amount(self) -> Decimal:
        """The whole payment due."""
        return self.interest + self.principal


def due_dates(terms: LoanTerms) -> list[date]:
    """Each month's payment date from the month after the start, and maturity last."""
    return list(_due_days(terms))


def _due_days(terms: LoanTerms) -> Iterator[date]:
    """The due dates one at a time; only the last is the maturity (the others are before it)."""
    k = 1
    while (day := add_months(terms.start, k)) < terms.maturity:
        yield day
        k += 1
    yield terms.maturity


def expected_calendar(terms: LoanTerms, draws: Sequence[tuple[date, Decimal]] = ()) -> list[Due]:
    """The payments the note expects, draws accruing from the day they are funded."""
    return list(calendar_rows(terms, draws))


def calendar_rows(
    terms: LoanTerms, draws: Sequence[tuple[date, Decimal]] = (), after: date | None = None
) -> Iterator[Due]:
    """The expected calendar one row at a time, so that a reader who needs only its start (the
    book's page, 10,000 loans at once) does not work out every later month. With `after`, only
    the rows due after it; an interest-only note skips the months before without working out
    their interest (only interest falls due then, so what is owed is the principal and draws)."""
    level = None
    if terms.amortization_months is not None:
        level = to_cents(Decimal(repr(payment(float(terms.principal), float(terms.annual_rate),
                                              terms.amortization_months))))  # fmt: skip
    owed, undrawn = terms.principal, terms.limit - terms.principal
    previous = terms.start
    for day in _due_days(terms):
        if after is not None and day <= after and level is None and day < terms.maturity:
            for drawn_on, amount in draws:  # interest only, before `after`: nothing to work out
                if previous < drawn_on <= day:
                    owed, undrawn = owed + amount, undrawn - amount
            previous = day
            continue
        # Each stretch between draws accrues on the balance then, rounded as the service
        # rounds it when a draw is funded, so the calendar asks for what was charged.
        interest, since = ZERO, previous
        for drawn_on, amount in draws:
            if previous < drawn_on <= day:
                base = owed + undrawn if terms.dutch else owed
                interest += accrued(base, terms.annual_rate, since, drawn_on, terms.day_count)
                owed, undrawn, since = owed + amount, undrawn - amount, drawn_on
        base = owed + undrawn if terms.dutch else owed
        interest += accrued(base, terms.annual_rate, since, day, terms.day_count)
        if day == terms.maturity:  # the last row: whatever is still owed
            principal = owed
        elif level is None:
            principal = ZERO
        else:
            principal = min(max(level - interest, ZERO), owed)
        if after is None or day > after:
            yield Due(day, interest, principal)
        owed -= principal
        previous = day


def calendar_through(
    terms: LoanTerms, draws: Sequence[tuple[date, Decimal]], paid: Decimal, as_of: date
) -> list[Due]:
    """The calendar's rows up to `as_of` and on to the first one `paid` does not cover: all that
    what is late, due now and due next are read from, without working out the later months."""
    rows, due = [], ZERO
    for row in calendar_rows(terms, draws):
        rows.append(row)
        due += row.amount
        if row.on > as_of and due > paid:
            break
    return rows


def schedule_position(rows: Iterable[Due], paid: Decimal) -> tuple[date | None, Decimal]:
    """The oldest due date that what was paid does not cover and what is still owed of it
    (None, 0 when all is paid): kept on the loan's row, so that a day's lateness is one
    subtraction instead of a walk of the calendar."""
    due = ZERO
    for row in rows:
        due += row.amount
        if due > paid:
            return row.on, min(row.amount, due - paid)
    return None, ZERO


def days_late(next_due: date | None, as_of: date) -> int:
    """Days past due from the stored oldest unpaid due date: as `days_past_due` reads it from
    the calendar when nothing was paid after `as_of`."""
    return (as_of - next_due).days if next_due is not None and next_due <= as_of else 0


def days_past_due(calendar: Sequence[Due], paid: Decimal, as_of: date) -> int:
    """Days since the oldest due date that what was paid (toward interest and principal) has
    not covered; 0 when nothing due by `as_of` is unpaid."""
    due = ZERO
    for row in calendar:
        if row.on > as_of:
            break
        due += row.amount
        if due > paid:
            return (as_of - row.on).days
    return 0


def bucket(days: int) -> str:
    """Delinquency bucket: current (under 30 days past due), 30, 60, 90+."""
    if days >= 90:
        return "90+"
    if days >= 60:
        return "60"
    return "30" if days >= 30 else "current"


def late_fees(
    terms: LoanTerms,
    calendar: Sequence[Due],
    payments: Sequence[tuple[date, Decimal]],
    as_of: date,
) -> list[tuple[date, Decimal]]:
    """Late fees owed by `as_of`: one per due date still not covered when its grace period
    ended, flat plus a share of the payment due, each rounded to the cent."""
    if terms.late_fee == 0 and terms.late_fee_pct == 0:
        return []
    fees, due = [], ZERO
    for row in calendar:
        deadline = row.on + timedelta(days=terms.grace_days)
        if deadline >= as_of:
            break
        due += row.amount
        paid = sum((amount for day, amount in payments if day <= deadline), ZERO)
        if paid < due and row.amount > 0:
            fees.append((row.on, to_cents(terms.late_fee + row.amount * terms.late_fee_pct)))
    return fees


def late_fee_day(day: date, today: date) -> date:
    """The day a late-fee run charges as of, refused when after today: a fee is charged once
    it is incurred (a servicer never bills ahead, and a fee dated ahead would be paid by earlier
    payments); a past day catches up a missed run and charges only what was owed by then."""
    if day > today:
        raise LendingInputError(
            "date", f"must not be after today ({today.isoformat()}): late fees are charged "
            "once their grace period has ended, never ahead"
        )  # fmt: skip
    return day


def default_from(
    terms: LoanTerms, calendar: Sequence[Due], paid: Decimal, as_of: date
) -> date | None:
    """The day default interest starts: maturity once passed unpaid, or a due date once it is
    `default_after_days` late; None while the loan is in good standing."""
    late = days_past_due(calendar, paid, as_of)
    return default_day(terms.maturity, terms.default_after_days, late, as_of)


def default_day(
    maturity: date, default_after_days: int | None, late: int, as_of: date
) -> date | None:
    """`default_from` once days past due are known (the book reads them from the loan's row):
    maturity once passed, or the oldest unpaid due date once more than `default_after_days`
    late; None while the loan is in good standing."""
    starts: list[date] = []
    if as_of > maturity:
        starts.append(maturity)
    if default_after_days is not None and late > default_after_days:
        starts.append(as_of - timedelta(days=late))
    return min(starts) if starts else None
