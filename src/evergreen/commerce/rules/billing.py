"""Subscription billing decisions on plain values: period dates, what a due subscription needs
(a charge, a retry, an end), the dunning schedule, and whether a cancel or reactivation is
allowed. No clock and no database: the service passes `now` and the row's fields.

Periods are anchored: period n runs from anchor + (n - 1) intervals to anchor + n intervals,
each computed from the anchor (never from the previous end), so a subscription started on
31 January renews on 28/29 February, 31 March, 30 April, … and never drifts to the 28th.

A plan change that raises the monthly amount (MRR) is an upgrade: it takes effect now with a
prorated charge. Proration is by seconds: the new plan's rate less the old one's, each per second
of its own period (a monthly plan over the current period, a yearly one over a year from the
period's start), times the seconds left in the current period, rounded half up to the cent once
at the end; never negative. Any other change (a downgrade) takes effect at the next renewal.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.rules.currencies import round_to_unit
from evergreen.digits import is_digits

__all__ = [
    "GRACE_DAYS",
    "RETRY_DAYS",
    "STATUSES",
    "Due",
    "SubState",
    "add_months",
    "check_cancel",
    "check_reactivate",
    "decide",
    "failure_plan",
    "interval_months",
    "is_upgrade",
    "order_period",
    "period_bounds",
    "prorate",
    "renewal_key",
]

STATUSES = ("incomplete", "trialing", "active", "past_due", "canceled", "ended")
RETRY_DAYS = (1, 3, 5)  # after the first failed renewal, days to each retry
GRACE_DAYS = 7  # the default grace period (setting EVERGREEN_SUBSCRIPTION_GRACE_DAYS)
_LIVE = ("trialing", "active", "past_due", "canceled")


def interval_months(interval: str) -> int:
    """Months in a billing interval: month 1, year 12."""
    if interval == "month":
        return 1
    if interval == "year":
        return 12
    raise CommerceInputError("interval", "must be month or year")


def add_months(moment: datetime, months: int) -> datetime:
    """`moment` plus whole months, the day clamped to the target month's last day."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def period_bounds(anchor: datetime, interval: str, n: int) -> tuple[datetime, datetime]:
    """Start and end of period n (1 is the first) of a subscription anchored at `anchor`."""
    if n < 1:
        raise CommerceInputError("period", "periods are numbered from 1")
    months = interval_months(interval)
    return add_months(anchor, months * (n - 1)), add_months(anchor, months * n)


def renewal_key(subscription_id: int, n: int) -> str:
    """The one key of period n's order (its checkout key; the provider's idempotency key is
    derived from it), so a period is never charged twice."""
    return f"renewal:{subscription_id}:{n}"


def order_period(checkout_key: str) -> int:
    """Which period an order of a subscription pays: a renewal's key names it; else the first."""
    parts = checkout_key.split(":")
    if len(parts) == 3 and parts[0] == "renewal" and is_digits(parts[2]):
        return int(parts[2])
    return 1


@dataclass(frozen=True)
class SubState:
    """What the decisions need of a subscription."""

    status: str
    period_end: datetime | None
    cancel_at_period_end: bool
    next_attempt_at: datetime | None
    grace_until: datetime | None


class Due(StrEnum):
    """What a subscription needs now."""

    NOTHING = "nothing"
    CHARGE = "charge"  # the next period's first charge
    RETRY = "retry"  # a failed period's charge again
    END = "end"  # canceled, and its last period is over
    END_DELINQUENT = "end_delinquent"  # unpaid past the grace period


def decide(state: SubState, now: datetime) -> Due:
    """What a subscription needs at `now`."""
    if state.status == "past_due":
        if state.grace_until is not None and now >= state.grace_until:
            return Due.END_DELINQUENT
        if state.next_attempt_at is not None and now >= state.next_attempt_at:
            return Due.RETRY
        return Due.NOTHING
    if state.period_end is None or now < state.period_end:
        return Due.NOTHING
    if state.status == "canceled" or (state.cancel_at_period_end and state.status == "active"):
        return Due.END
    if state.status in ("active", "trialing"):
        return Due.CHARGE
    return Due.NOTHING


@dataclass(frozen=True)
class FailurePlan:
    """After a failed attempt: when to try again (None: no more) and the grace period's end."""

    next_attempt_at: datetime | None
    grace_until: datetime


def failure_plan(
    first_failed_at: datetime, attempts: int, grace_days: int = GRACE_DAYS
) -> FailurePlan:
    """The retry after `attempts` failures (1 is the first), inside the grace period that
    started with the first failure; a retry that would fall on or after its end is dropped."""
    grace_until = first_failed_at + timedelta(days=grace_days)
    if attempts < 1 or attempts > len(RETRY_DAYS):
        return FailurePlan(None, grace_until)
    retry = first_failed_at + timedelta(days=RETRY_DAYS[attempts - 1])
    return FailurePlan(retry if retry < grace_until else None, grace_until)


def check_cancel(status: str, cancel_at_period_end: bool, at_period_end: bool) -> None:
    """A live subscription can be cancelled (now, or at its period's end once)."""
    if status not in _LIVE or status == "canceled":
        raise CommerceInputError(
            "subscription", f"a subscription that is {status} cannot be cancelled"
        )
    if at_period_end and cancel_at_period_end:
        raise CommerceInputError(
            "subscription", "this subscription already ends at its period's end"
        )
    if at_period_end and status == "past_due":
        raise CommerceInputError(
            "when", "an unpaid subscription is cancelled now, not at period end"
        )


def check_reactivate(
    status: str, cancel_at_period_end: bool, period_end: datetime | None, now: datetime
) -> None:
    """Only a subscription set to end at its period's end, before that end, is reactivated."""
    if status == "ended":
        raise CommerceInputError("subscription", "this subscription has ended; subscribe again")
    if not cancel_at_period_end:
        raise CommerceInputError("subscription", "this subscription is not set to end")
    if period_end is not None and now >= period_end:
        raise CommerceInputError("subscription", "this subscription's last period is over")


def is_upgrade(old_cents: int, old_interval: str, new_cents: int, new_interval: str) -> bool:
    """An upgrade raises the monthly amount (MRR); compared exactly, without rounding."""
    return new_cents * interval_months(old_interval) > old_cents * interval_months(new_interval)


def prorate(
    old_cents: int,
    old_interval: str,
    new_cents: int,
    new_interval: str,
    period: tuple[datetime, datetime],
    now: datetime,
    currency: str,
) -> int:
    """What an upgrade at `now` costs for the rest of the current period, in cents (≥ 0),
    rounded half up to the currency's smallest unit."""
    start, end = period
    if not start <= now < end:
        raise CommerceInputError("period", "the change must fall inside the current period")
    left = Decimal((end - now).total_seconds())
    old_span = Decimal((end - start).total_seconds())
    new_end = add_months(start, interval_months(new_interval))
    same = interval_months(new_interval) == interval_months(old_interval)
    new_span = old_span if same else Decimal((new_end - start).total_seconds())
    owed = Decimal(new_cents) * left / new_span - Decimal(old_cents) * left / old_span
    return max(0, round_to_unit(owed, currency))
