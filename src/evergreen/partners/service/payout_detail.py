"""One payout in full: its partners' lines with method and reference, every commission it
settles, totals per currency, and the same as CSV. A partner's view is narrowed to their own."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.partners.models import Commission, Partner, Payout, PayoutLine, Program
from evergreen.partners.rules import PayoutNotFound, payout_reference

__all__ = [
    "PayoutDetail",
    "PayoutItem",
    "PayoutRecipient",
    "partner_payout",
    "payout_detail",
    "write_payout_commissions",
]

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
_FORMULA_START = frozenset("=+-@\t\r")


@dataclass(frozen=True)
class PayoutRecipient:
    """One partner's line: who is paid, how, how much in one currency, under which reference."""

    partner_id: int
    name: str
    email: str
    method: str
    pay_to: str
    currency: str
    total: Decimal
    reference: str


@dataclass(frozen=True)
class PayoutItem:
    """One commission the payout settles (a negative amount is a clawback netted in it)."""

    id: int
    created_at: datetime
    partner_id: int
    partner_name: str
    kind: str
    amount: Decimal
    currency: str
    status: str
    reason: str


@dataclass(frozen=True)
class PayoutDetail:
    """A payout with its lines, its commissions and its totals per currency."""

    payout: Payout
    recipients: list[PayoutRecipient]
    items: list[PayoutItem]
    totals: dict[str, Decimal]


def _payout(session: Session, program_id: int, payout_id: int) -> Payout:
    payout = session.get(Payout, payout_id)
    if payout is None or payout.program_id != program_id:
        raise PayoutNotFound("payout_id", f"no payout with id {payout_id}")
    return payout


def _detail(session: Session, payout: Payout, partner_id: int | None) -> PayoutDetail:
    lines = select(PayoutLine, Partner).join(Partner, Partner.id == PayoutLine.partner_id)
    lines = lines.where(PayoutLine.payout_id == payout.id)
    items = select(Commission, Partner.name).join(Partner, Partner.id == Commission.partner_id)
    items = items.where(Commission.payout_id == payout.id)
    if partner_id is not None:
        lines = lines.where(PayoutLine.partner_id == partner_id)
        items = items.where(Commission.partner_id == partner_id)
    ordered = lines.order_by(Partner.name, Partner.id, PayoutLine.currency)
    recipients = [
        PayoutRecipient(
            partner.id, partner.name, partner.email, partner.payout_method,
            str((partner.payout_details or {}).get("email") or partner.email),
            line.currency, line.total, payout_reference(payout.id, partner.id),
        )
        for line, partner in session.execute(ordered)
    ]  # fmt: skip
    rows = session.execute(items.order_by(Commission.created_at, Commission.id))
    found = [
        PayoutItem(
            c.id, c.created_at, c.partner_id, name, c.kind, c.amount, c.currency, c.status,
            c.reason,
        )
        for c, name in rows
    ]  # fmt: skip
    totals: dict[str, Decimal] = {}
    for recipient in recipients:
        totals[recipient.currency] = totals.get(recipient.currency, Decimal(0)) + recipient.total
    return PayoutDetail(payout, recipients, found, dict(sorted(totals.items())))


def payout_detail(session: Session, program: Program, payout_id: int) -> PayoutDetail:
    """Everything in one of the program's payouts (another program's is not found)."""
    return _detail(session, _payout(session, program.id, payout_id), None)


def partner_payout(session: Session, partner: Partner, payout_id: int) -> PayoutDetail:
    """The partner's own part of a payout; a payout that pays them nothing is not found."""
    detail = _detail(session, _payout(session, partner.program_id, payout_id), partner.id)
    if not detail.recipients:
        raise PayoutNotFound("payout_id", f"no payout with id {payout_id}")
    return detail


def _text(value: str) -> str:
    """Prefix an apostrophe so a spreadsheet shows the cell as text instead of running it."""
    return "'" + value if value.lstrip("'")[:1] in _FORMULA_START else value


def write_payout_commissions(detail: PayoutDetail, out: TextIO) -> int:
    """The payout's commissions as CSV, one row each with its line's reference; returns rows."""
    references = {r.partner_id: r.reference for r in detail.recipients}
    writer = csv.writer(out)
    writer.writerow(
        ["payout", "payout_status", "commission", "date", "partner_id", "partner", "kind",
         "amount", "currency", "status", "reason", "reference"]
    )  # fmt: skip
    items: Sequence[PayoutItem] = detail.items
    for item in items:
        writer.writerow(
            [detail.payout.id, detail.payout.status, item.id, item.created_at.date().isoformat(),
             item.partner_id, _text(item.partner_name), item.kind, f"{item.amount:.2f}",
             item.currency, item.status, _text(item.reason), references.get(item.partner_id, "")]
        )  # fmt: skip
    return len(items)
