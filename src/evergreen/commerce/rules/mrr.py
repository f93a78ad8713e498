"""Stored subscription facts as the events rules/revenue.py derives MRR, movements, cohorts and
ω from: a subscription's MRR starts when its first period is paid (a trial counts none), drops
at a failed renewal (delinquent churn) and comes back when it is recovered or revived after a
delinquent end (reactivation), moves with a plan change or a discount ending (expansion,
contraction), and ends when a cancellation takes effect (churn). One report per currency."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from evergreen.commerce.rules.billing import interval_months
from evergreen.commerce.rules.cohorts import (
    Cohort,
    PersistenceEstimate,
    cohort_retention,
    estimate_stream_persistence,
)
from evergreen.commerce.rules.revenue import EventKind, MrrPeriod, SubscriptionEvent, mrr_report

__all__ = ["MRR_KINDS", "Fact", "MrrView", "mrr_view", "to_events"]

_KINDS = {
    "start": EventKind.START,
    "payment_failed": EventKind.PAYMENT_FAILED,
    "recovered": EventKind.RECOVERED,
    "cancel": EventKind.CANCEL,
    "reactivate": EventKind.REACTIVATE,
    "change": EventKind.CHANGE,
    # A move to another product of the plan family: one ends and the other starts at the same
    # instant, so the total is expansion or contraction and each product's own view churn / new.
    "plan_from": EventKind.CANCEL,
    "plan_to": EventKind.START,
}
MRR_KINDS = tuple(_KINDS)  # the stored kinds that move MRR


@dataclass(frozen=True)
class Fact:
    """One stored subscription event with what its subscription is."""

    subscription: int
    customer: str
    product: str
    currency: str
    kind: str  # the stored kind (renewal and delinquent carry no MRR change)
    at: datetime
    amount_cents: int
    interval: str


def to_events(facts: Iterable[Fact]) -> dict[str, list[SubscriptionEvent]]:
    """The MRR events of each currency; renewals and delinquent ends (MRR already 0 since the
    failed payment) change nothing and are left out."""
    out: dict[str, list[SubscriptionEvent]] = {}
    for fact in facts:
        kind = _KINDS.get(fact.kind)
        if kind is None:
            continue
        with_amount = kind in (EventKind.START, EventKind.REACTIVATE, EventKind.CHANGE)
        out.setdefault(fact.currency, []).append(
            SubscriptionEvent(
                subscription=str(fact.subscription), customer=fact.customer, at=fact.at,
                kind=kind, amount=Decimal(fact.amount_cents) / 100 if with_amount else None,
                interval_months=interval_months(fact.interval), product=fact.product,
                stream=fact.product,
            )
        )  # fmt: skip
    return out


@dataclass(frozen=True)
class MrrView:
    """One currency's MRR page: months, cohorts and the persistence they imply."""

    currency: str
    months: list[MrrPeriod]
    cohorts: list[Cohort]
    persistence: PersistenceEstimate


def mrr_view(currency: str, events: list[SubscriptionEvent], first: date, last: date) -> MrrView:
    """MRR by month from `first` to `last`, cohort retention and ω, for one currency."""
    cohorts = cohort_retention(events, last)
    return MrrView(
        currency, mrr_report(events, first, last), cohorts, estimate_stream_persistence(cohorts)
    )
