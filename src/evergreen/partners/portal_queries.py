"""Read-only queries of the partner portal, each narrowed to one partner's id and nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evergreen.links.models import ClickRollup, Link
from evergreen.links.views_queries import Counts, counts_by_link
from evergreen.partners.models import (
    Commission,
    Conversion,
    Partner,
    PartnerLink,
    Payout,
    PayoutLine,
)
from evergreen.partners.rules import OWED

__all__ = [
    "UNPAID",
    "CommissionSums",
    "PayoutRow",
    "clicks_by_day",
    "commission_page",
    "commission_sums",
    "conversion_count",
    "partner_links",
    "payout_rows",
]

# The statuses payouts.statement counts as the unpaid balance (keep the two in step).
UNPAID = OWED


@dataclass(frozen=True)
class CommissionSums:
    """Commissions of one status in one currency: how many and how much."""

    status: str
    currency: str
    count: int
    amount: Decimal


@dataclass(frozen=True)
class PayoutRow:
    """One payout line of this partner, with its batch's status."""

    payout_id: int
    created_at: datetime
    paid_at: datetime | None
    status: str
    currency: str
    total: Decimal


def partner_links(session: Session, partner: Partner) -> list[tuple[Link, Counts]]:
    """The partner's tracking links, by slug, each with its click counts."""
    links = list(
        session.scalars(
            select(Link)
            .join(PartnerLink, PartnerLink.link_id == Link.id)
            .where(PartnerLink.partner_id == partner.id)
            .order_by(Link.slug)
        )
    )
    counts = counts_by_link(session, [link.id for link in links])
    return [(link, counts.get(link.id, Counts())) for link in links]


def clicks_by_day(session: Session, link_ids: list[int], since: date) -> list[dict[str, Any]]:
    """Daily clicks of the given links since a day, in the shape views_chart.day_chart reads."""
    if not link_ids:
        return []
    rows = session.execute(
        select(ClickRollup.day, func.sum(ClickRollup.total), func.sum(ClickRollup.human))
        .where(
            ClickRollup.dimension == "all",
            ClickRollup.link_id.in_(link_ids),
            ClickRollup.day >= since,
        )
        .group_by(ClickRollup.day)
    )
    return [{"day": d.isoformat(), "total": int(t), "clicks": int(h)} for d, t, h in rows]


def conversion_count(session: Session, partner: Partner) -> int:
    """Conversions attributed to the partner."""
    query = select(func.count()).select_from(Conversion)
    return int(session.scalar(query.where(Conversion.partner_id == partner.id)) or 0)


def commission_sums(session: Session, partner: Partner) -> list[CommissionSums]:
    """The partner's commissions grouped by status and currency."""
    rows = session.execute(
        select(Commission.status, Commission.currency, func.count(), func.sum(Commission.amount))
        .where(Commission.partner_id == partner.id)
        .group_by(Commission.status, Commission.currency)
        .order_by(Commission.status, Commission.currency)
    )
    return [CommissionSums(s, c, int(n), Decimal(a or 0)) for s, c, n, a in rows]


def commission_page(
    session: Session, partner: Partner, *, limit: int, offset: int
) -> tuple[list[Commission], int]:
    """One page of the partner's commissions, newest first, and how many there are."""
    mine = Commission.partner_id == partner.id
    total = int(session.scalar(select(func.count()).select_from(Commission).where(mine)) or 0)
    rows = session.scalars(
        select(Commission)
        .where(mine)
        .order_by(Commission.created_at.desc(), Commission.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total


def payout_rows(session: Session, partner: Partner) -> list[PayoutRow]:
    """The partner's lines in every payout, newest payout first."""
    rows = session.execute(
        select(PayoutLine, Payout)
        .join(Payout, Payout.id == PayoutLine.payout_id)
        .where(PayoutLine.partner_id == partner.id)
        .order_by(Payout.created_at.desc(), Payout.id.desc())
    )
    return [
        PayoutRow(p.id, p.created_at, p.paid_at, p.status, line.currency, line.total)
        for line, p in rows
    ]
