"""What the owner's affiliate links earn: by link, channel, sub-ID or month, with EPC (service)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evergreen.links.models import ClickRollup, Link
from evergreen.partners.models import Earning, NetworkLink
from evergreen.partners.networks_rules import (
    EarningStatus,
    NetworkRuleError,
    conversion_rate,
    epc,
    month_of,
)
from evergreen.partners.rules_common import show_money

__all__ = ["BY", "EarningsRow", "earnings"]

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
    low = datetime.combine(start, time.min, UTC) if start else None
    high = datetime.combine(end + timedelta(days=1), time.min, UTC) if end else None
    return low, high


def _clicks(session: Session, by: str, start: date | None, end: date | None) -> dict[str, int]:
    """Human clicks of links assigned to a network, from the rollups, keyed like the earnings."""
    dimension = by if by in _SUBS else "all"
    query = (
        select(ClickRollup.link_id, ClickRollup.day, ClickRollup.value, Link.slug, Link.channel,
               NetworkLink.network_id, func.sum(ClickRollup.human))
        .join(NetworkLink, NetworkLink.link_id == ClickRollup.link_id)
        .join(Link, Link.id == ClickRollup.link_id)
        .where(ClickRollup.dimension == dimension)
        .group_by(ClickRollup.link_id, ClickRollup.day, ClickRollup.value, Link.slug,
                  Link.channel, NetworkLink.network_id)
    )  # fmt: skip
    if start is not None:
        query = query.where(ClickRollup.day >= start)
    if end is not None:
        query = query.where(ClickRollup.day <= end)
    counts: dict[str, int] = defaultdict(int)
    for _link_id, day, value, slug, channel, network_id, human in session.execute(query):
        key = {
            "link": slug, "channel": channel or _NONE, "network": str(network_id),
            "month": month_of(day),
        }.get(by, value or _NONE)  # fmt: skip
        counts[key] += int(human or 0)
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
        select(Earning.commission, Earning.currency, Earning.status, Earning.occurred_at,
               Earning.sub, Earning.network_id, Link.slug, Link.channel)
        .outerjoin(Link, Link.id == Earning.link_id)
        .where(Earning.valid.is_(True), Earning.status != EarningStatus.REVERSED.value)
    )  # fmt: skip
    if low is not None:
        query = query.where(Earning.occurred_at >= low)
    if high is not None:
        query = query.where(Earning.occurred_at < high)
    rows: dict[tuple[str, str], EarningsRow] = {}
    for commission, currency, status, at, sub, network_id, slug, channel in session.execute(query):
        if by == "link":
            key = slug or "(unmatched)"
        elif by == "channel":
            key = (channel or _NONE) if slug else "(unmatched)"
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
