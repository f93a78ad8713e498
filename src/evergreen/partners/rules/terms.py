"""Pure commission terms: versions, durations, tiers, and what one event earns under them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise
from typing import Literal

from evergreen.money import (
    cents,
    check_currency,
    check_money,
    check_storable,
    check_utc,
    show_money,
    show_number,
)
from evergreen.partners.rules.errors import PartnerRuleError

__all__ = [
    "Due",
    "Duration",
    "EventType",
    "Terms",
    "Tier",
    "commission_for",
    "recruiter_bonus",
    "terms_in_force",
]


class EventType(StrEnum):
    """What a conversion reports; refunds and chargebacks undo, the others may earn."""

    LEAD = "lead"
    SALE = "sale"
    RENEWAL = "renewal"
    REFUND = "refund"
    CHARGEBACK = "chargeback"


class Duration(StrEnum):
    """How long a customer's payments keep earning the partner a commission."""

    ONE_TIME = "one_time"
    MONTHS = "months"
    PAYMENTS = "payments"
    LIFETIME = "lifetime"


@dataclass(frozen=True)
class Tier:
    """A volume tier: from `min_sales` sales in the period, this rate replaces the base rate."""

    min_sales: int
    rate: Decimal

    def __post_init__(self) -> None:
        """A tier that cannot be reached or pays a negative rate is a typo, so refuse it."""
        if isinstance(self.min_sales, bool) or not isinstance(self.min_sales, int):
            raise PartnerRuleError("tiers", "min_sales must be a whole number of sales")
        if self.min_sales < 0:
            raise PartnerRuleError("tiers", f"min_sales must not be negative ({self.min_sales})")
        check_money("tiers", self.rate)


@dataclass(frozen=True)
class Terms:
    """One version of commission terms; `rate` is a percent, or an amount for flat terms."""

    id: int
    version: int
    kind: Literal["flat", "percent"]
    rate: Decimal
    currency: str
    lead_amount: Decimal = Decimal(0)
    duration: Duration = Duration.ONE_TIME
    duration_count: int | None = None
    tiers: tuple[Tier, ...] = ()
    recruiter_rate: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        """Terms are checked once when built, so a form can be validated by building them."""
        if self.kind not in ("flat", "percent"):
            raise PartnerRuleError("kind", f"must be 'flat' or 'percent' (got {self.kind!r})")
        _percent_or_amount("rate", self.rate, percent=self.kind == "percent")
        object.__setattr__(self, "currency", check_currency("currency", self.currency))
        check_storable("lead_amount", self.lead_amount)
        try:
            duration = Duration(self.duration)
        except ValueError:
            raise PartnerRuleError(
                "duration", "must be one_time, months, payments or lifetime"
            ) from None
        object.__setattr__(self, "duration", duration)
        count = self.duration_count
        if duration in (Duration.MONTHS, Duration.PAYMENTS):
            if isinstance(count, bool) or not isinstance(count, int) or count < 1:
                raise PartnerRuleError(
                    "duration_count", f"recurring for {duration} needs a count of at least 1"
                )
        elif count is not None:
            raise PartnerRuleError(
                "duration_count", "only recurring for months or payments takes a count"
            )
        tiers = tuple(self.tiers)
        object.__setattr__(self, "tiers", tiers)
        if len({tier.min_sales for tier in tiers}) != len(tiers):
            raise PartnerRuleError("tiers", "two tiers start at the same number of sales")
        for tier in tiers:
            _percent_or_amount("tiers", tier.rate, percent=self.kind == "percent")
        _percent_or_amount("recruiter_rate", self.recruiter_rate, percent=True)


def _percent_or_amount(field: str, value: Decimal, *, percent: bool) -> None:
    """A rate is a non-negative amount that can be stored, and no more than 100 when it is a
    percentage; pages, the API and the CLI all build Terms, so all refuse the same values."""
    if check_storable(field, value) > 100 and percent:
        raise PartnerRuleError(field, f"a percentage must be from 0 to 100 (got {value})")


@dataclass(frozen=True)
class Due:
    """A commission owed, with the sentence that explains how it was computed."""

    amount: Decimal
    currency: str
    reason: str


def _count(field: str, value: int, minimum: int) -> int:
    """Counters (payments, months, sales) are whole numbers from a known minimum."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise PartnerRuleError(field, f"must be a whole number of at least {minimum} ({value!r})")
    return value


def _schedule(terms: Terms, payment: int, months: int) -> str | None:
    """Which part of the duration this payment falls in, or None once the terms stop paying."""
    count = terms.duration_count or 0
    if terms.duration is Duration.ONE_TIME:
        return "one-time, on the first payment" if payment == 1 else None
    if terms.duration is Duration.MONTHS:
        if months >= count:
            return None
        return f"payment {payment}, month {months + 1} of {count} (recurring for {count} months)"
    if terms.duration is Duration.PAYMENTS:
        if payment > count:
            return None
        return f"payment {payment} of {count} (recurring for {count} payments)"
    return f"payment {payment} (recurring for the customer's lifetime)"


def _tier(terms: Terms, period_sales: int) -> Tier | None:
    """The highest volume tier the partner reached this period, if any."""
    reached = [tier for tier in terms.tiers if tier.min_sales <= period_sales]
    return max(reached, key=lambda tier: tier.min_sales) if reached else None


def commission_for(
    terms: Terms,
    *,
    event: EventType,
    amount: Decimal,
    currency: str,
    payment_number: int,
    months_since_attribution: int,
    period_sales: int = 0,
) -> Due | None:
    """What one event earns under these terms; None when the terms pay nothing for it."""
    try:
        kind = EventType(event)
    except ValueError:
        raise PartnerRuleError("event", f"unknown event {event!r}") from None
    cur = terms.currency
    if kind is EventType.LEAD:
        lead = cents(terms.lead_amount)
        return Due(lead, cur, f"{show_money(lead)} {cur} per lead") if lead else None
    if kind in (EventType.REFUND, EventType.CHARGEBACK):
        raise PartnerRuleError(
            "event", f"a {kind} earns no commission; it reverses one (see refund_effect)"
        )
    value = check_money("amount", amount, allow_negative=True)
    if value <= 0:
        raise PartnerRuleError(
            "amount",
            f"a {kind} needs a positive amount (got {value}); report refunds as refund events",
        )
    sale_currency = check_currency("currency", currency)
    if sale_currency != cur:
        raise PartnerRuleError(
            "currency",
            f"the {kind} is in {sale_currency} but the terms pay in {cur}; "
            f"convert the amount to {cur} first",
        )
    # A sale after the first (a repeat purchase by a bound customer) counts like any payment:
    # one-time terms pay only the first, recurring and lifetime terms pay it within their span.
    payment = _count("payment_number", payment_number, 1)
    if kind is EventType.RENEWAL and payment < 2:
        raise PartnerRuleError("payment_number", "a renewal is payment 2 or later")
    months = _count("months_since_attribution", months_since_attribution, 0)
    sales = _count("period_sales", period_sales, 0)
    schedule = _schedule(terms, payment, months)
    if schedule is None:
        return None
    tier = _tier(terms, sales)
    rate = tier.rate if tier is not None else terms.rate
    if terms.kind == "percent":
        due = cents(value * rate / 100)
        basis = f"{show_number(rate)}% of {show_money(value)} {cur}"
    else:
        due = cents(rate)
        basis = f"flat {show_money(rate)} {cur} on a payment of {show_money(value)} {cur}"
    if tier is not None:
        basis += f" (volume tier from {tier.min_sales} sales; {sales} this period)"
    return Due(due, cur, f"{basis}, {schedule}") if due else None


def recruiter_bonus(terms: Terms, commission: Decimal) -> Decimal | None:
    """The recruiter's second-tier share of a partner's commission; negative for a clawback."""
    value = check_money("commission", commission, allow_negative=True)
    if not terms.recruiter_rate:
        return None
    bonus = cents(value * terms.recruiter_rate / 100)
    return bonus if bonus else None


def terms_in_force(
    versions: Sequence[Terms], effective_from: Sequence[datetime], at: datetime
) -> Terms:
    """The version in force at `at`: the latest one whose start is at or before it."""
    if len(versions) != len(effective_from):
        raise PartnerRuleError(
            "effective_from",
            f"needs one start per terms version ({len(effective_from)} for {len(versions)})",
        )
    if not versions:
        raise PartnerRuleError("versions", "there are no terms versions; create terms first")
    moment = check_utc("at", at)
    starts = [check_utc("effective_from", start) for start in effective_from]
    if any(later < earlier for earlier, later in pairwise(starts)):
        raise PartnerRuleError("effective_from", "versions must be sorted oldest first")
    chosen: Terms | None = None
    for version, start in zip(versions, starts, strict=True):
        if start <= moment:
            chosen = version
    if chosen is None:
        raise PartnerRuleError(
            "at",
            f"no terms were in force at {moment.isoformat()}; "
            f"the first version starts at {starts[0].isoformat()}",
        )
    return chosen
