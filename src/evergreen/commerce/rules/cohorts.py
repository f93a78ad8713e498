"""Cohort retention of recurring revenue, and the persistence ω it implies for the ledger.

A cohort is the customers whose first MRR (a `new` movement) fell in one calendar month. For
each complete month k after it (month-end ≤ as_of), the cohort's retention is the share of its
customers still with MRR and its MRR as a share of the MRR it had at the end of its first month
(net revenue retention: above 1 when expansion beats churn).

ω is what the ledger's residual-income valuation takes (ledger.rules.value: ω a year in
[0, 1]). It is estimated as the MRR-weighted month-over-month revenue retention over every
cohort's consecutive complete months, Σ MRR(k+1) ÷ Σ MRR(k), bounded to [0, 1], then raised to
the 12th power; the estimate says how many cohorts and month pairs it rests on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from evergreen.commerce.rules.revenue import MovementKind, SubscriptionEvent, mrr_movements

__all__ = ["Cohort", "PersistenceEstimate", "cohort_retention", "estimate_stream_persistence"]

_PLACES = Decimal("0.0001")
_ZERO = Decimal(0)
_ONE = Decimal(1)


@dataclass(frozen=True)
class Cohort:
    """One start month's customers and what of them, and of their MRR, is left month by month."""

    month: date  # the first of the month
    customers: int
    mrr: tuple[Decimal, ...]  # at the end of month k = 0, 1, …
    active: tuple[int, ...]  # customers with MRR at the end of month k
    customer_retention: tuple[Decimal, ...]  # active[k] ÷ customers
    revenue_retention: tuple[Decimal | None, ...]  # mrr[k] ÷ mrr[0]; None when mrr[0] is 0


@dataclass(frozen=True)
class PersistenceEstimate:
    """ω a year for the ledger's valuation, the monthly retention it comes from, and its basis."""

    omega: Decimal | None
    monthly: Decimal | None
    cohorts: int
    month_pairs: int
    note: str


def _ratio(part: Decimal, whole: Decimal) -> Decimal:
    """A share to four places, half up, as every retention figure is shown."""
    return (part / whole).quantize(_PLACES, rounding=ROUND_HALF_UP)


def _month(day: date) -> date:
    """The first of the month a day falls in: a cohort's name."""
    return day.replace(day=1)


def _next(month: date) -> date:
    """The first of the following month."""
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _last_complete(as_of: date) -> date:
    """The first day of the last month that ended on or before `as_of`."""
    if _next(as_of.replace(day=1)).toordinal() - 1 == as_of.toordinal():
        return _month(as_of)
    previous = date.fromordinal(_month(as_of).toordinal() - 1)
    return _month(previous)


def cohort_retention(events: Iterable[SubscriptionEvent], as_of: date) -> list[Cohort]:
    """Every start month's retention over the complete months up to `as_of`, oldest first."""
    movements = mrr_movements(events)
    last = _last_complete(as_of)
    started: dict[str, date] = {}
    for movement in movements:
        if movement.kind is MovementKind.NEW and movement.customer not in started:
            started[movement.customer] = _month(movement.day)
    months: list[date] = []
    month = min(started.values(), default=_next(last))
    while month <= last:
        months.append(month)
        month = _next(month)
    at_end: dict[str, dict[date, Decimal]] = {c: {} for c in started}
    running: dict[str, Decimal] = dict.fromkeys(started, _ZERO)
    index = 0
    for month in months:
        close = _next(month)
        while index < len(movements) and movements[index].day < close:
            running[movements[index].customer] += movements[index].amount
            index += 1
        for customer, value in running.items():
            at_end[customer][month] = value
    cohorts: list[Cohort] = []
    for start in sorted(set(started.values())):
        if start > last:
            continue
        members = [c for c, m in started.items() if m == start]
        span = [m for m in months if m >= start]
        mrr = tuple(sum((at_end[c][m] for c in members), _ZERO) for m in span)
        active = tuple(sum(1 for c in members if at_end[c][m] > 0) for m in span)
        cohorts.append(
            Cohort(
                start,
                len(members),
                mrr,
                active,
                tuple(_ratio(Decimal(a), Decimal(len(members))) for a in active),
                tuple(_ratio(v, mrr[0]) if mrr[0] > 0 else None for v in mrr),
            )
        )
    return cohorts


def estimate_stream_persistence(cohorts: Iterable[Cohort]) -> PersistenceEstimate:
    """ω from the cohorts' month-over-month revenue retention, or None with the reason."""
    kept, base, pairs, used = _ZERO, _ZERO, 0, 0
    for cohort in cohorts:
        counted = False
        for before, after in zip(cohort.mrr, cohort.mrr[1:], strict=False):
            if before > 0:
                kept, base, pairs, counted = kept + after, base + before, pairs + 1, True
        used += counted
    if base == 0:
        return PersistenceEstimate(
            None,
            None,
            used,
            pairs,
            "no cohort has two complete months with MRR yet, so there is no retention to "
            "estimate persistence from",
        )
    monthly = min(_ONE, max(_ZERO, kept / base))
    omega = (monthly**12).quantize(_PLACES, rounding=ROUND_HALF_UP)
    monthly = monthly.quantize(_PLACES, rounding=ROUND_HALF_UP)
    note = (
        f"{monthly} of MRR kept each month over {pairs} month pair(s) of {used} cohort(s): "
        f"ω = {monthly}^12 = {omega} a year"
    )
    if kept > base:
        note += " (expansion beat churn; bounded to 1)"
    return PersistenceEstimate(omega, monthly, used, pairs, note)
