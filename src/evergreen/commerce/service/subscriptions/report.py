"""The MRR page's figures: the stored facts that move MRR read in one indexed query, turned into
MRR by month, movements, cohort retention and ω per currency and per product (rules/mrr.py), and
kept as a snapshot (the rollup) that is reused while no such fact was added and the day is the
same: facts are only appended, so counting them (an index-only count) tells a stale snapshot."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.models import MrrSnapshot, Product, Subscription, SubscriptionEvent
from evergreen.commerce.rules.billing import add_months
from evergreen.commerce.rules.mrr import MRR_KINDS, Fact, MrrView, mrr_view, to_events
from evergreen.ledger import service as ledger

__all__ = [
    "MOVEMENTS",
    "RECOMPUTE_IN_PAGE",
    "TASK_LAG",
    "mrr_facts",
    "mrr_page",
    "mrr_report_of",
    "refresh_mrr",
    "stream_persistence",
    "use_persistence",
]

MOVEMENTS = ("new", "expansion", "contraction", "churn", "delinquent_churn", "reactivation")
_MONTHS = 12  # the page shows the last twelve months
# The page recomputes a stale snapshot itself up to this many MRR facts (measured ~200 µs a fact
# in benchmarks/mrr.py: ~0.4 s); a larger book waits for the renewal task's, if it is this recent.
RECOMPUTE_IN_PAGE = 2_000
TASK_LAG = timedelta(minutes=30)


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


def _cents(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _plain(view: MrrView) -> dict[str, Any]:
    """A view as JSON the page renders (amounts as text with two places)."""
    months = [
        {"month": m.start.strftime("%Y-%m"), "opening": _cents(m.opening),
         "closing": _cents(m.closing), **{k: _cents(getattr(m, k)) for k in MOVEMENTS}}
        for m in view.months
    ]  # fmt: skip
    cohorts = [
        {"month": c.month.strftime("%Y-%m"), "customers": c.customers,
         "retention": [None if r is None else f"{r * 100:.0f}" for r in c.revenue_retention]}
        for c in view.cohorts
    ]  # fmt: skip
    omega = view.persistence.omega
    return {
        "currency": view.currency, "months": months, "cohorts": cohorts,
        "omega": None if omega is None else str(omega), "note": view.persistence.note,
    }  # fmt: skip


def _count(session: Session) -> int:
    query = select(func.count()).select_from(SubscriptionEvent)
    return int(session.scalar(query.where(SubscriptionEvent.kind.in_(MRR_KINDS))) or 0)


def refresh_mrr(session: Session, now: datetime) -> MrrSnapshot:
    """Compute the page's report now and keep it as the one snapshot."""
    last = now.date()
    first = add_months(now.replace(day=1), 1 - _MONTHS).date()
    count = _count(session)
    facts = mrr_facts(session)
    ids = dict(session.execute(select(Product.name, Product.id)).all())
    streams = [
        {"product": product, "product_id": ids.get(product), "currency": currency,
         "omega": _plain(view)["omega"], "note": view.persistence.note}
        for product, currency, view in stream_persistence(facts, last)
    ]  # fmt: skip
    report = {
        "views": [_plain(view) for view in mrr_report_of(session, first, last, facts)],
        "streams": streams,
    }
    session.execute(delete(MrrSnapshot))
    row = MrrSnapshot(facts=count, last_day=last, report=report, built_at=now)
    session.add(row)
    session.flush()
    return row


def mrr_page(session: Session, now: datetime) -> MrrSnapshot:
    """The snapshot, recomputed first when a fact was added since or the day changed; past
    RECOMPUTE_IN_PAGE facts (~0.4 s of work) the page shows the 15-minute task's snapshot while
    it is under TASK_LAG old, with the time it was computed."""
    row = session.scalar(select(MrrSnapshot).order_by(MrrSnapshot.id.desc()).limit(1))
    count = _count(session)
    if row is not None and row.last_day == now.date() and row.facts == count:
        return row
    if row is not None and count > RECOMPUTE_IN_PAGE and now - _aware(row.built_at) < TASK_LAG:
        return row  # a large book: the renewal task's recent snapshot, not a wait of seconds
    return refresh_mrr(session, now)


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def use_persistence(session: Session, product_id: int, now: datetime) -> Decimal:
    """Set the product's ledger stream's persistence to the ω its own retention implies, only
    where the owner has set none (their own ω is never overwritten); the ω set."""
    found = [
        s for s in mrr_page(session, now).report["streams"]
        if s["product_id"] == product_id and s["omega"] is not None
    ]  # fmt: skip
    if not found:
        raise CommerceInputError("product", "too little history to estimate its persistence")
    stream = ledger.stream_of_scope(session, f"commerce:{product_id}")
    if stream is None:
        raise CommerceInputError("product", "no ledger stream yet: its first paid order makes it")
    # Locked and read again: the owner may have saved their own ω since it was read.
    stream = ledger.get_stream(session, stream.id, lock=True)
    if stream.persistence is not None:
        raise CommerceInputError(
            "persistence",
            f"the stream {stream.name} has your own ω {stream.persistence}; change it on its page",
        )
    omega = Decimal(found[0]["omega"])
    ledger.update_stream(session, stream, {"persistence": omega})
    return omega
