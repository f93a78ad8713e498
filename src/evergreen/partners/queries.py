"""The program's read model: figures and listings for the dashboard pages and the portal.

Portal queries are each narrowed to one partner's id and nothing else.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evergreen.db import utcnow
from evergreen.links import queries as link_queries
from evergreen.links.queries import Counts
from evergreen.partners.models import (
    Commission,
    CommissionEvent,
    Conversion,
    Coupon,
    Partner,
    PartnerLink,
    Payout,
    PayoutLine,
    Program,
    TermsVersion,
)
from evergreen.partners.rules import OWED, EventType, Status, status_note, terms_in_force
from evergreen.partners.service.terms import terms_of

__all__ = [
    "UNPAID",
    "CommissionSums",
    "Figures",
    "LinkRow",
    "PartnerPayoutRow",
    "PayoutRow",
    "Sales",
    "commission_page",
    "commission_sums",
    "commissions",
    "commissions_of",
    "conversion_count",
    "conversions",
    "coupons_of",
    "current_terms",
    "figures_by_partner",
    "links_of",
    "partner_links",
    "payout_rows",
    "payouts",
    "sales_of_clicks",
    "status_notes",
    "waiting_for_payout",
]

_OWED = tuple(status.value for status in OWED)


class LinkRow(Protocol):
    """What the program's pages read of a tracking link (a read-only row of the links area)."""

    @property
    def id(self) -> int: ...

    @property
    def slug(self) -> str: ...


@dataclass
class Figures:
    """One partner's human clicks and money: owed (pending to payable) and paid, per currency."""

    clicks: int = 0
    owed: dict[str, Decimal] = field(default_factory=dict)
    paid: dict[str, Decimal] = field(default_factory=dict)


def figures_by_partner(session: Session, partner_ids: Sequence[int]) -> dict[int, Figures]:
    """Figures of the given partners: a few grouped queries, whatever the number of partners."""
    figures: dict[int, Figures] = defaultdict(Figures)
    if not partner_ids:
        return figures
    owners = _link_owners(session, partner_ids)
    human = link_queries.human_clicks_by_link(session, list(owners))
    for link_id, clicks in human.items():
        figures[owners[link_id]].clicks += clicks
    money = session.execute(
        select(
            Commission.partner_id,
            Commission.status,
            Commission.currency,
            func.sum(Commission.amount),
        )
        .where(
            Commission.partner_id.in_(partner_ids),
            Commission.status.in_([*_OWED, Status.PAID.value]),
        )
        .group_by(Commission.partner_id, Commission.status, Commission.currency)
    )
    for partner_id, status, currency, total in money:
        into = figures[partner_id].paid if status == Status.PAID.value else figures[partner_id].owed
        into[currency] = into.get(currency, Decimal(0)) + Decimal(total or 0)
    return figures


def _link_owners(session: Session, partner_ids: Sequence[int]) -> dict[int, int]:
    """The partner owning each of these partners' links, by link id."""
    query = select(PartnerLink.link_id, PartnerLink.partner_id)
    rows = session.execute(query.where(PartnerLink.partner_id.in_(partner_ids)))
    return {row.link_id: row.partner_id for row in rows}


def links_of(session: Session, partner_id: int) -> list[LinkRow]:
    """The tracking links a partner owns, by slug (read-only rows of the links area)."""
    return list(link_queries.links_by_ids(session, _link_owners(session, [partner_id])))


def commissions(
    session: Session,
    program: Program,
    *,
    partner_id: int | None = None,
    status: str | None = None,
    limit: int = 100,
) -> list[Commission]:
    """The program's commissions, newest first, of one partner or status when asked."""
    query = select(Commission).where(Commission.program_id == program.id)
    if partner_id is not None:
        query = query.where(Commission.partner_id == partner_id)
    if status is not None:
        query = query.where(Commission.status == status)
    return list(session.scalars(query.order_by(Commission.id.desc()).limit(limit)))


def commissions_of(session: Session, partner_id: int, *, limit: int) -> list[Commission]:
    """A partner's latest commissions, newest first."""
    return list(
        session.scalars(
            select(Commission)
            .where(Commission.partner_id == partner_id)
            .order_by(Commission.created_at.desc(), Commission.id.desc())
            .limit(limit)
        )
    )


def coupons_of(session: Session, partner_id: int) -> list[str]:
    """A partner's coupon codes."""
    query = select(Coupon.code).where(Coupon.partner_id == partner_id).order_by(Coupon.code)
    return list(session.scalars(query))


def current_terms(
    session: Session, program: Program, now: datetime | None = None
) -> list[TermsVersion]:
    """Each group's terms in force now (the rule commissions use), then those scheduled later."""
    moment = now or utcnow()
    rows = session.scalars(
        select(TermsVersion)
        .where(TermsVersion.program_id == program.id)
        .order_by(TermsVersion.group, TermsVersion.effective_from, TermsVersion.version)
    )
    groups: dict[str, list[TermsVersion]] = defaultdict(list)
    for row in rows:
        groups[row.group].append(row)
    shown: list[TermsVersion] = []
    for versions in groups.values():
        if versions[0].effective_from <= moment:
            starts = [row.effective_from for row in versions]
            live = terms_in_force([terms_of(row) for row in versions], starts, moment)
            shown.append(next(row for row in versions if row.id == live.id))
        shown.extend(row for row in versions if row.effective_from > moment)
    return shown


@dataclass(frozen=True)
class PayoutRow:
    """A payout with its totals per currency and how many partner lines it pays."""

    payout: Payout
    totals: dict[str, Decimal]
    lines: int


def payouts(session: Session, program: Program, limit: int = 100) -> list[PayoutRow]:
    """The program's payouts, newest first."""
    rows = list(
        session.scalars(
            select(Payout)
            .where(Payout.program_id == program.id)
            .order_by(Payout.id.desc())
            .limit(limit)
        )
    )
    totals: dict[int, dict[str, Decimal]] = defaultdict(dict)
    counts: dict[int, int] = defaultdict(int)
    if rows:
        lines = session.execute(
            select(PayoutLine.payout_id, PayoutLine.currency, PayoutLine.total).where(
                PayoutLine.payout_id.in_([row.id for row in rows])
            )
        )
        for payout_id, currency, total in lines:
            totals[payout_id][currency] = totals[payout_id].get(currency, Decimal(0)) + total
            counts[payout_id] += 1
    return [PayoutRow(row, totals[row.id], counts[row.id]) for row in rows]


def conversions(
    session: Session, program: Program, status: str = "", limit: int = 200
) -> list[tuple[Conversion, str]]:
    """Recent conversions with the name of the partner they were attributed to (or '')."""
    query = (
        select(Conversion, Partner.name)
        .outerjoin(Partner, Partner.id == Conversion.partner_id)
        .where(Conversion.program_id == program.id)
        .order_by(Conversion.received_at.desc(), Conversion.id.desc())
        .limit(limit)
    )
    if status:
        query = query.where(Conversion.status == status)
    return [(row, name or "") for row, name in session.execute(query)]


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
class PartnerPayoutRow:
    """One payout line of this partner, with its batch's status."""

    payout_id: int
    created_at: datetime
    paid_at: datetime | None
    status: str
    currency: str
    total: Decimal


def partner_links(session: Session, partner: Partner) -> list[tuple[LinkRow, Counts]]:
    """The partner's tracking links, by slug, each with its click counts."""
    links = links_of(session, partner.id)
    counts = link_queries.counts_by_link(session, [link.id for link in links])
    return [(link, counts.get(link.id, Counts())) for link in links]


# What counts as a conversion: the events that may earn. A refund or chargeback carries the
# partner of the sale it undoes, but is not a second conversion.
_CONVERTING = (EventType.LEAD.value, EventType.SALE.value, EventType.RENEWAL.value)


def conversion_count(session: Session, partner: Partner) -> int:
    """Leads, sales and renewals attributed to the partner (refunds and chargebacks undo one;
    they are not conversions)."""
    query = select(func.count()).select_from(Conversion)
    query = query.where(Conversion.partner_id == partner.id, Conversion.event.in_(_CONVERTING))
    return int(session.scalar(query) or 0)


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


def payout_rows(session: Session, partner: Partner) -> list[PartnerPayoutRow]:
    """The partner's lines in every payout, newest payout first."""
    rows = session.execute(
        select(PayoutLine, Payout)
        .join(Payout, Payout.id == PayoutLine.payout_id)
        .where(PayoutLine.partner_id == partner.id)
        .order_by(Payout.created_at.desc(), Payout.id.desc())
    )
    return [
        PartnerPayoutRow(p.id, p.created_at, p.paid_at, p.status, line.currency, line.total)
        for line, p in rows
    ]


def waiting_for_payout(session: Session, program: Program) -> dict[str, Decimal]:
    """Approved commissions not yet in a payout, per currency."""
    rows = session.execute(
        select(Commission.currency, func.sum(Commission.amount))
        .where(
            Commission.program_id == program.id,
            Commission.status == Status.APPROVED.value,
            Commission.payout_id.is_(None),
        )
        .group_by(Commission.currency)
    )
    return {currency: Decimal(total or 0) for currency, total in rows}


# The changes whose note says why a commission ended where it is (a hold's reason is stored
# on the commission itself, so it survives until the hold is released).
_EXPLAINED = {Status.REJECTED.value: "reject", Status.REVERSED.value: "reversed"}


def status_notes(
    session: Session, program: Program, rows: Sequence[Commission], now: datetime
) -> dict[int, str]:
    """Why each commission stands where it does, by id, in words for the owner and partner."""
    explained = [row.id for row in rows if row.status in _EXPLAINED]
    notes: dict[int, str] = {}
    if explained:
        events = session.execute(
            select(CommissionEvent.commission_id, CommissionEvent.action, CommissionEvent.note)
            .where(
                CommissionEvent.commission_id.in_(explained),
                CommissionEvent.action.in_(list(_EXPLAINED.values())),
            )
            .order_by(CommissionEvent.id)
        )
        for commission_id, _action, note in events:  # the latest change wins
            notes[commission_id] = note
    return {
        row.id: status_note(
            row.status,
            hold_reasons=list(row.hold_reasons or []),
            last_note=notes.get(row.id, ""),
            created_at=row.created_at,
            holding_days=program.holding_days,
            now=now,
        )
        for row in rows
    }


@dataclass(frozen=True)
class Sales:
    """Conversions reported for a set of clicks: sales counted, money net of refunds by currency."""

    sales: int
    earnings: dict[str, Decimal]


def sales_of_clicks(session: Session, click_ids: Sequence[str]) -> Sales:
    """Sales and renewals (less refunds and chargebacks) whose click is one of these, whether
    or not a partner earned on them."""
    sales = 0
    earnings: dict[str, Decimal] = defaultdict(Decimal)
    wanted = list(dict.fromkeys(click_ids))
    for start in range(0, len(wanted), 500):
        rows = session.execute(
            select(Conversion.event, Conversion.amount, Conversion.currency).where(
                Conversion.click_id.in_(wanted[start : start + 500])
            )
        )
        for event, amount, currency in rows:
            if event in ("sale", "renewal"):
                sales += event == "sale"
                earnings[currency] += amount
            elif event in ("refund", "chargeback"):
                earnings[currency] -= abs(amount)
    return Sales(sales, dict(earnings))
