"""The MRR page's figures: the stored subscription facts read in one query, turned into MRR
by month, movements, cohort retention and ω per currency (rules/mrr.py), and ω offered to the
ledger's valuation for each product's stream."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.commerce.models import Product, Subscription, SubscriptionEvent
from evergreen.commerce.rules.mrr import MRR_KINDS, Fact, MrrView, mrr_view, to_events

__all__ = ["mrr_facts", "mrr_report_of", "stream_persistence"]


def mrr_facts(session: Session) -> list[Fact]:
    """Every stored fact that moves MRR, oldest first."""
    rows = session.execute(
        select(
            SubscriptionEvent.subscription_id, Subscription.buyer_email, Product.name,
            SubscriptionEvent.currency, SubscriptionEvent.kind, SubscriptionEvent.at,
            SubscriptionEvent.amount_cents, SubscriptionEvent.interval,
        )
        .join(Subscription, Subscription.id == SubscriptionEvent.subscription_id)
        .join(Product, Product.id == SubscriptionEvent.product_id)
        .where(SubscriptionEvent.kind.in_(MRR_KINDS))  # renewals change no MRR
        .order_by(SubscriptionEvent.at, SubscriptionEvent.id)
    )  # fmt: skip
    return [
        Fact(sub, email.lower(), name, currency, kind, at, amount, interval)
        for sub, email, name, currency, kind, at, amount, interval in rows
    ]


def mrr_report_of(
    session: Session, first: date, last: date, facts: list[Fact] | None = None
) -> list[MrrView]:
    """One MRR view per currency from `first` to `last` (months), currencies in order."""
    events = to_events(mrr_facts(session) if facts is None else facts)
    return [mrr_view(code, events[code], first, last) for code in sorted(events)]


def stream_persistence(facts: list[Fact], last: date) -> list[tuple[str, str, MrrView]]:
    """Each product's (a recurring stream's) own view per currency, with its cohorts and ω."""
    out = []
    by: dict[tuple[str, str], list[Fact]] = {}
    for fact in facts:
        by.setdefault((fact.product, fact.currency), []).append(fact)
    for (product, currency), own in sorted(by.items()):
        events = to_events(own).get(currency, [])
        if events:
            first = min(e.at for e in events).date().replace(day=1)
            out.append((product, currency, mrr_view(currency, events, first, last)))
    return out
