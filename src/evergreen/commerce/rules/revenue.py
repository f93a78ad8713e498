"""Recurring revenue: MRR and its movements per day or month, in total, per product or stream.

Definitions follow ChartMogul's, classified per customer (all of a customer's subscriptions
together), so a customer moving from one plan to another is expansion or contraction, not a
churn and a new sale:

- MRR: each active subscription's plan amount normalised to a month (amount ÷ interval months,
  so an annual plan of 1200 is 100 a month), kept to four decimal places so movements add up
  exactly. A subscription in its trial counts no MRR until the trial ends; one whose payment
  failed (delinquent) counts none until it is recovered.
- New business: a customer's MRR goes from 0 to more for the first time.
- Expansion / contraction: an active customer's MRR goes up / down and stays above 0.
- Churn: a customer's MRR drops to 0 because they cancelled.
- Delinquent churn: it drops to 0 because a payment failed (Baremetrics' "delinquent churn").
- Reactivation: a customer who had MRR before and fell to 0 (cancelled or delinquent) has MRR
  again, including a delinquent payment recovered or a subscription revived after it.

Every movement is the exact change of one customer's MRR, so for any period the opening MRR
plus the sum of its movements is its closing MRR. What one customer does at one instant is one
movement (a plan switch sent as a cancel and a start is expansion or contraction). Events that
change nothing (a second cancel, a recovery of a subscription that is not delinquent) are
ignored, as webhooks repeat.

Per product or stream (`mrr_reports_by`), each one's events are replayed on their own, as
ChartMogul does when a chart is filtered by plan: a customer moving from one product to another
is churn in the first and new business in the second, contraction or expansion overall.

Cohort retention and the persistence ω handed to the ledger's valuation are in cohorts.py,
built on these movements.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from evergreen.commerce.errors import CommerceInputError
from evergreen.money import check_utc

__all__ = [
    "EventKind",
    "Movement",
    "MovementKind",
    "MrrPeriod",
    "SubscriptionEvent",
    "monthly_amount",
    "mrr_movements",
    "mrr_report",
    "mrr_reports_by",
]

_PLACES = Decimal("0.0001")
_ZERO = Decimal(0)
_ONE = Decimal(1)


class EventKind(StrEnum):
    """What happened to a subscription."""

    START = "start"  # amount and interval given; trial_ends optional
    CHANGE = "change"  # a new plan amount and/or interval
    CANCEL = "cancel"  # the cancellation takes effect at `at`
    PAYMENT_FAILED = "payment_failed"  # delinquent
    RECOVERED = "recovered"  # a delinquent payment went through
    REACTIVATE = "reactivate"  # a cancelled subscription starts again (amount optional)


class MovementKind(StrEnum):
    """ChartMogul's MRR movements."""

    NEW = "new"
    EXPANSION = "expansion"
    CONTRACTION = "contraction"
    CHURN = "churn"
    DELINQUENT_CHURN = "delinquent_churn"
    REACTIVATION = "reactivation"


@dataclass(frozen=True)
class SubscriptionEvent:
    """One subscription event as a payment provider or the owner reports it."""

    subscription: str
    customer: str
    at: datetime
    kind: EventKind
    amount: Decimal | None = None  # per interval, with START, CHANGE and (optional) REACTIVATE
    interval_months: int = 1  # 1 monthly, 3 quarterly, 12 annual
    trial_ends: datetime | None = None  # with START: no MRR before this time
    product: str = ""  # for reports per product
    stream: str = ""  # the ledger stream the revenue belongs to


@dataclass(frozen=True)
class Movement:
    """One customer's MRR change: signed amount (churn and contraction are negative)."""

    day: date
    customer: str
    kind: MovementKind
    amount: Decimal


@dataclass(frozen=True)
class MrrPeriod:
    """A day or month of MRR: opening + new + expansion + contraction + churn + delinquent
    churn + reactivation = closing (losses are negative amounts)."""

    start: date
    opening: Decimal
    new: Decimal
    expansion: Decimal
    contraction: Decimal
    churn: Decimal
    delinquent_churn: Decimal
    reactivation: Decimal
    closing: Decimal
    customers: int  # with MRR at the close


def monthly_amount(amount: Decimal, interval_months: int) -> Decimal:
    """A plan's amount as MRR: normalised to a month, four places, so movements add up."""
    if isinstance(amount, bool) or not isinstance(amount, Decimal) or not amount.is_finite():
        raise CommerceInputError("amount", "must be a Decimal amount like 29.00")
    if amount < 0:
        raise CommerceInputError("amount", f"must not be negative (got {amount})")
    if isinstance(interval_months, bool) or not isinstance(interval_months, int):
        raise CommerceInputError("interval_months", "must be a whole number of months")
    if interval_months < 1:
        raise CommerceInputError("interval_months", "must be 1 or more (12 for an annual plan)")
    return (amount / interval_months).quantize(_PLACES, rounding=ROUND_HALF_UP)


@dataclass
class _Sub:
    """One subscription as the replay sees it: whose, how much a month, and its state."""

    customer: str
    monthly: Decimal
    status: str  # trial, active, delinquent, cancelled
    trial_ends: datetime | None


@dataclass
class _Walk:
    """The state of every subscription and customer while events are replayed in time order."""

    subs: dict[str, _Sub] = field(default_factory=dict)
    by_customer: dict[str, list[_Sub]] = field(default_factory=dict)
    ever_paid: set[str] = field(default_factory=set)
    total: Decimal = _ZERO  # MRR of every customer
    paying: int = 0  # customers with MRR

    def mrr_of(self, customer: str) -> Decimal:
        """A customer's MRR: their active subscriptions only (not trials, delinquent, cancelled)."""
        return sum(
            (s.monthly for s in self.by_customer.get(customer, ()) if s.status == "active"), _ZERO
        )

    def add(self, name: str, sub: _Sub) -> None:
        """Index a (re)started subscription by name and by customer."""
        self.subs[name] = sub
        self.by_customer.setdefault(sub.customer, []).append(sub)


def _checked(events: Iterable[SubscriptionEvent]) -> list[tuple[datetime, int, SubscriptionEvent]]:
    """Events in time order (ties keep their given order), with each trial's end as a step."""
    timeline: list[tuple[datetime, int, SubscriptionEvent]] = []
    for seq, event in enumerate(events):
        at = check_utc("at", event.at)
        if not isinstance(event.kind, EventKind):
            raise CommerceInputError("kind", f"{event.kind!r} is not a subscription event")
        if not event.subscription or not event.customer:
            raise CommerceInputError(
                "subscription", "every event names its subscription and customer"
            )
        if event.kind in (EventKind.START, EventKind.CHANGE) and event.amount is None:
            raise CommerceInputError("amount", f"a {event.kind.value} event needs the plan amount")
        if event.amount is not None:
            monthly_amount(event.amount, event.interval_months)
        if event.trial_ends is not None:
            ends = check_utc("trial_ends", event.trial_ends)
            if event.kind is EventKind.START and ends > at:
                timeline.append((ends, 2 * seq + 1, event))
        timeline.append((at, 2 * seq, event))
    timeline.sort(key=lambda item: (item[0], item[1]))
    return timeline


def _apply(walk: _Walk, at: datetime, seq: int, event: SubscriptionEvent) -> str | None:
    """Change one subscription; the cause when it lost its MRR ('delinquent' or 'cancel')."""
    sub = walk.subs.get(event.subscription)
    if seq % 2 == 1:  # the trial's end
        if sub is not None and sub.status == "trial" and sub.trial_ends == at:
            sub.status = "active"
        return None
    kind = event.kind
    if kind is EventKind.START:
        if sub is not None and sub.status != "cancelled":
            return None  # a repeated start
        assert event.amount is not None
        trial = event.trial_ends is not None and check_utc("trial_ends", event.trial_ends) > at
        walk.add(
            event.subscription,
            _Sub(
                event.customer,
                monthly_amount(event.amount, event.interval_months),
                "trial" if trial else "active",
                check_utc("trial_ends", event.trial_ends) if trial and event.trial_ends else None,
            ),
        )
        return None
    if sub is None:
        raise CommerceInputError(
            "subscription", f"{event.subscription!r} has a {kind.value} event before its start"
        )
    if kind is EventKind.CHANGE and sub.status != "cancelled":
        assert event.amount is not None
        sub.monthly = monthly_amount(event.amount, event.interval_months)
    elif kind is EventKind.CANCEL and sub.status != "cancelled":
        sub.status = "cancelled"
        return "cancel"
    elif kind is EventKind.PAYMENT_FAILED and sub.status == "active":
        sub.status = "delinquent"
        return "delinquent"
    elif kind is EventKind.RECOVERED and sub.status == "delinquent":
        sub.status = "active"
    elif kind is EventKind.REACTIVATE and sub.status in ("cancelled", "delinquent"):
        if event.amount is not None:
            sub.monthly = monthly_amount(event.amount, event.interval_months)
        sub.status, sub.trial_ends = "active", None
    return None


def _classify(
    walk: _Walk, customer: str, before: Decimal, after: Decimal, cause: str | None
) -> MovementKind:
    """The ChartMogul movement for one customer's MRR going from `before` to `after`."""
    if before == 0:
        return MovementKind.REACTIVATION if customer in walk.ever_paid else MovementKind.NEW
    if after == 0:
        return MovementKind.DELINQUENT_CHURN if cause == "delinquent" else MovementKind.CHURN
    return MovementKind.EXPANSION if after > before else MovementKind.CONTRACTION


def _replay(
    events: Iterable[SubscriptionEvent],
) -> Iterable[tuple[datetime, _Walk, list[Movement]]]:
    """Each instant of the replay: its time, the state after it and the movements it made.

    Everything a customer does at one instant is one movement (a plan switch sent as a cancel
    and a start is expansion or contraction, not churn then reactivation)."""
    walk = _Walk()
    timeline = _checked(events)
    index = 0
    while index < len(timeline):
        at = timeline[index][0]
        before: dict[str, Decimal] = {}
        causes: dict[str, str | None] = {}
        while index < len(timeline) and timeline[index][0] == at:
            _at, seq, event = timeline[index]
            known = walk.subs.get(event.subscription)
            starts = event.kind is EventKind.START and seq % 2 == 0
            customer = event.customer if known is None or starts else known.customer
            before.setdefault(customer, walk.mrr_of(customer))
            cause = _apply(walk, at, seq, event)
            causes[customer] = cause or causes.get(customer)
            index += 1
        movements = []
        for customer, was in before.items():
            now = walk.mrr_of(customer)
            if now == was:
                continue
            kind = _classify(walk, customer, was, now, causes[customer])
            movements.append(Movement(at.astimezone(UTC).date(), customer, kind, now - was))
            walk.total += now - was
            walk.paying += (now > 0) - (was > 0)
            if now > 0:
                walk.ever_paid.add(customer)
        yield at, walk, movements


def mrr_movements(events: Iterable[SubscriptionEvent]) -> list[Movement]:
    """Every MRR movement the events make, in time order."""
    return [m for _at, _walk, moves in _replay(events) for m in moves]


def _period_start(day: date, by: str) -> date:
    """The first day of the report period a day falls in."""
    return day.replace(day=1) if by == "month" else day


def _next(start: date, by: str) -> date:
    """The first day of the period after `start`."""
    if by == "month":
        return date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return date.fromordinal(start.toordinal() + 1)


def mrr_report(
    events: Sequence[SubscriptionEvent], first: date, last: date, *, by: str = "month"
) -> list[MrrPeriod]:
    """MRR per day or month from `first` to `last` with its movements (losses negative)."""
    if by not in ("day", "month"):
        raise CommerceInputError("by", "must be 'day' or 'month'")
    if last < first:
        raise CommerceInputError("last", f"must not be before the first day ({first})")
    start = _period_start(first, by)
    sums: dict[date, dict[MovementKind, Decimal]] = {}
    opening, customers = _ZERO, 0
    closing_of: dict[date, tuple[Decimal, int]] = {}
    for at, walk, movements in _replay(events):
        day = at.astimezone(UTC).date()
        period = _period_start(day, by)
        state = (walk.total, walk.paying)
        if period < start:
            opening, customers = state
            continue
        closing_of[period] = state
        for movement in movements:
            bucket = sums.setdefault(period, dict.fromkeys(MovementKind, _ZERO))
            bucket[movement.kind] += movement.amount
    periods: list[MrrPeriod] = []
    while start <= last:
        moves = sums.get(start, dict.fromkeys(MovementKind, _ZERO))
        closing, customers = closing_of.get(start, (opening, customers))
        periods.append(
            MrrPeriod(
                start,
                opening,
                moves[MovementKind.NEW],
                moves[MovementKind.EXPANSION],
                moves[MovementKind.CONTRACTION],
                moves[MovementKind.CHURN],
                moves[MovementKind.DELINQUENT_CHURN],
                moves[MovementKind.REACTIVATION],
                closing,
                customers,
            )
        )
        opening, start = closing, _next(start, by)
    return periods


def mrr_reports_by(
    events: Sequence[SubscriptionEvent],
    first: date,
    last: date,
    *,
    key: str = "product",
    by: str = "month",
) -> dict[str, list[MrrPeriod]]:
    """One MRR report per product or per stream, each replayed from its own events."""
    if key not in ("product", "stream"):
        raise CommerceInputError("key", "must be 'product' or 'stream'")
    groups: dict[str, list[SubscriptionEvent]] = {}
    for event in events:
        groups.setdefault(getattr(event, key), []).append(event)
    return {name: mrr_report(group, first, last, by=by) for name, group in sorted(groups.items())}
