"""What the owner's affiliate links earn (by link, channel, sub-ID or month, with EPC), and the
networks, links and earnings the pages and the API list."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.links import queries as links_queries
from evergreen.money import show_money
from evergreen.networks.models import Network, NetworkEarning, NetworkLink
from evergreen.networks.rules import (
    EarningStatus,
    NetworkRuleError,
    conversion_rate,
    epc,
    month_of,
)

__all__ = [
    "BY",
    "EarningsRow",
    "earnings",
    "links_of_streams",
    "list_earnings",
    "list_networks",
    "network_earnings",
    "network_links",
]

_SUBS = ("sub1", "sub2", "sub3", "sub4", "sub5", "utm_source", "utm_medium", "utm_campaign")
BY = ("link", "channel", "network", "month", *_SUBS)
_NONE = "(none)"


@dataclass
class EarningsRow:
    """One group's money (approved and pending apart; reversed left out) and its human clicks."""

    key: str
    currency: str
    approved: Decimal = Decimal(0)
    pending: Decimal = Decimal(0)
    conversions: int = 0
    clicks: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-safe values; money as strings with two decimals."""
        earned = self.approved + self.pending
        rate = conversion_rate(self.conversions, self.clicks)
        per_click = epc(earned, self.clicks)
        return {
            "key": self.key, "currency": self.currency,
            "approved": show_money(self.approved), "pending": show_money(self.pending),
            "earnings": show_money(earned), "conversions": self.conversions,
            "clicks": self.clicks, "epc": None if per_click is None else show_money(per_click),
            "conversion_rate": None if rate is None else f"{rate:f}",
        }  # fmt: skip


def _bounds(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """[start, the day after end) in UTC; an end on the calendar's last day bounds nothing."""
    low = datetime.combine(start, time.min, UTC) if start else None
    high = (
        datetime.combine(end + timedelta(days=1), time.min, UTC) if end and end < date.max else None
    )
    return low, high


def _clicks(session: Session, by: str, start: date | None, end: date | None) -> dict[str, int]:
    """Human clicks of links assigned to a network, from the rollups, keyed like the earnings."""
    dimension = by if by in _SUBS else "all"
    assigned = select(NetworkLink.link_id, NetworkLink.network_id)
    networks: dict[int, int] = dict(session.execute(assigned).all())
    labels = links_queries.link_labels(session, networks)
    counts: dict[str, int] = defaultdict(int)
    for row in links_queries.rollup_rows(session, list(networks), dimension, start, end):
        label = labels[row.link_id]
        key = {
            "link": label.slug, "channel": label.channel or _NONE,
            "network": str(networks[row.link_id]), "month": month_of(row.day),
        }.get(by, row.value or _NONE)  # fmt: skip
        counts[key] += row.human
    if dimension != "all":
        # Rollups count a sub-ID only when a click has one: the clicks without it are each
        # link's day total less its sub-ID values, and belong under "(none)" like the earnings.
        valued = sum(counts.values())
        everything = links_queries.rollup_rows(session, list(networks), "all", start, end)
        missing = sum(row.human for row in everything) - valued
        if missing > 0:
            counts[_NONE] += missing
    return counts


def earnings(
    session: Session, by: str, start: date | None = None, end: date | None = None
) -> list[EarningsRow]:
    """Earnings grouped one way, with clicks, EPC and conversion rate; by month it is the
    monthly stream, recurring commissions included."""
    if by not in BY:
        raise NetworkRuleError("by", f"must be one of {', '.join(BY)}")
    low, high = _bounds(start, end)
    query = (
        select(NetworkEarning.commission, NetworkEarning.currency, NetworkEarning.status,
               NetworkEarning.occurred_at, NetworkEarning.sub, NetworkEarning.network_id,
               NetworkEarning.link_id)
        .where(NetworkEarning.valid.is_(True),
               NetworkEarning.status != EarningStatus.REVERSED.value)
    )  # fmt: skip
    if low is not None:
        query = query.where(NetworkEarning.occurred_at >= low)
    if high is not None:
        query = query.where(NetworkEarning.occurred_at < high)
    found = session.execute(query).all()
    labels = links_queries.link_labels(session, {r.link_id for r in found if r.link_id})
    rows: dict[tuple[str, str], EarningsRow] = {}
    for commission, currency, status, at, sub, network_id, link_id in found:
        label = labels.get(link_id) if link_id is not None else None
        if by == "link":
            key = label.slug if label else "(unmatched)"
        elif by == "channel":
            key = (label.channel or _NONE) if label else "(unmatched)"
        elif by == "network":
            key = str(network_id)
        elif by == "month":
            key = month_of(at)
        else:
            key = (sub or {}).get(by) or _NONE
        row = rows.setdefault((key, currency), EarningsRow(key, currency))
        if status == EarningStatus.APPROVED.value:
            row.approved += commission
        else:
            row.pending += commission
        row.conversions += 1
    clicks = _clicks(session, by, start, end)
    seen = {key for key, _ in rows}
    for row in rows.values():
        row.clicks = clicks.get(row.key, 0)
    for key, count in clicks.items():  # clicked but not (yet) earning: EPC 0, still worth seeing
        if key not in seen and count:
            rows[(key, "")] = EarningsRow(key, "", clicks=count)
    return sorted(rows.values(), key=lambda r: (r.key, r.currency))


def list_networks(session: Session) -> list[Network]:
    """Every network, by name."""
    return list(session.scalars(select(Network).order_by(Network.name)))


def list_earnings(
    session: Session, *, matched: bool | None = None, limit: int = 100
) -> list[NetworkEarning]:
    """The latest earnings first; matched=False gives the ones to review."""
    query = (
        select(NetworkEarning)
        .order_by(NetworkEarning.occurred_at.desc(), NetworkEarning.id.desc())
        .limit(limit)
    )
    if matched is not None:
        query = query.where(NetworkEarning.matched.is_(matched))
    return list(session.scalars(query))


def network_links(session: Session, network: Network) -> list[Any]:
    """The outbound affiliate links that earn for this network, by slug (links' rows, to read)."""
    query = select(NetworkLink.link_id).where(NetworkLink.network_id == network.id)
    return links_queries.links_by_ids(session, session.scalars(query))


def network_earnings(
    session: Session, network: Network, limit: int = 50
) -> list[tuple[NetworkEarning, str | None]]:
    """This network's latest earnings, each with the slug of the link its click came through."""
    query = (
        select(NetworkEarning)
        .where(NetworkEarning.network_id == network.id)
        .order_by(NetworkEarning.occurred_at.desc(), NetworkEarning.id.desc())
        .limit(limit)
    )
    rows = list(session.scalars(query))
    labels = links_queries.link_labels(session, {r.link_id for r in rows if r.link_id})
    return [(row, labels[row.link_id].slug if row.link_id in labels else None) for row in rows]


def links_of_streams(session: Session, stream_ids: list[int]) -> list[int]:
    """The links attached to networks in these income streams (the ledger's facts)."""
    if not stream_ids:
        return []
    return list(
        session.scalars(
            select(NetworkLink.link_id)
            .join(Network, Network.id == NetworkLink.network_id)
            .where(Network.stream_id.in_(stream_ids))
        )
    )
