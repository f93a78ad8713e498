"""Payout use cases: batch what is owed, export it for mass payment, mark it paid, statements."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.csvfile import CsvWriter
from evergreen.partners.models import Commission, Partner, Payout, PayoutLine, Program
from evergreen.partners.rules import (
    OWED,
    PartnerRuleError,
    Payable,
    PayoutNotFound,
    Status,
    plan_payouts,
    transition,
)
from evergreen.partners.service.history import log_event
from evergreen.partners.service.payout_lines import lock_payouts, sync_open_payout
from evergreen.partners.service.payout_notices import record_notices
from evergreen.partners.service.postings import payout_to_ledger
from evergreen.partners.service.webhooks import commission_event, emit

__all__ = ["FORMATS", "create_payout", "export_payout", "mark_paid", "statement"]

FORMATS = ("paypal", "wise")


def create_payout(
    session: Session, program: Program, *, actor: str, now: datetime
) -> Payout | None:
    """Batch every approved commission (clawbacks netted) of partners above the threshold.

    Returns None when nobody is due yet; lines below the threshold wait for the next payout.
    """
    lock_payouts(session, program.id)  # a refund meanwhile changes what is batched after it
    rows = list(
        session.scalars(
            select(Commission)
            .where(
                Commission.program_id == program.id,
                Commission.status == Status.APPROVED.value,
                Commission.payout_id.is_(None),
            )
            .execution_options(populate_existing=True)
        )
    )
    items = [Payable(c.id, c.partner_id, c.amount, c.currency) for c in rows]
    due, _carried = plan_payouts(items, threshold=program.payout_threshold)
    if not due:
        return None
    payout = Payout(program_id=program.id, created_by=actor, created_at=now)
    session.add(payout)
    session.flush()
    by_id = {c.id: c for c in rows}
    for line in due:
        session.add(
            PayoutLine(
                payout_id=payout.id,
                partner_id=line.partner_id,
                currency=line.currency,
                total=line.total,
            )
        )
        for commission_id in line.commission_ids:
            commission = by_id[commission_id]
            before = commission.status
            commission.status = transition(Status(before), "include_in_payout").value
            commission.payout_id = payout.id
            log_event(
                session,
                commission,
                "include_in_payout",
                actor,
                before=before,
                note=f"payout {payout.id}",
            )
    session.flush()
    return payout


def get_payout(session: Session, program: Program, payout_id: int) -> Payout:
    """One of the program's payouts, or PayoutNotFound."""
    payout = session.get(Payout, payout_id)
    if payout is None or payout.program_id != program.id:
        raise PayoutNotFound("payout_id", f"no payout with id {payout_id}")
    return payout


def mark_paid(
    session: Session, program: Program, payout_id: int, *, actor: str, now: datetime
) -> Payout:
    """Record that a payout was sent: every commission in it becomes paid, and each partner it
    pays is due a notice (sent after the commit: `send_due_notices`).

    What is paid and posted is the net of its commissions now (`sync_open_payout`): a refund
    before this reversed its share, one after it is a clawback from the next payout.
    """
    lock_payouts(session, program.id)  # a refund waits, or is applied before this reads
    payout = get_payout(session, program, payout_id)
    session.refresh(payout)
    if payout.status == "paid":
        return payout
    sync_open_payout(session, payout, actor, now)
    for commission in session.scalars(select(Commission).where(Commission.payout_id == payout.id)):
        before = commission.status
        commission.status = transition(Status(before), "mark_paid").value
        commission.paid_at = now
        log_event(
            session, commission, "mark_paid", actor, before=before, note=f"payout {payout.id}",
            at=now,
        )  # fmt: skip
        emit(
            session, program.id, "commission.paid",
            f"commission.paid:{commission.id}", commission_event(commission),
        )  # fmt: skip
    payout.status, payout.paid_at = "paid", now
    payout_to_ledger(session, payout, now.date())
    record_notices(session, payout, now)  # once: a payout already paid returned above
    return payout


def export_payout(session: Session, program: Program, payout_id: int, fmt: str, out: TextIO) -> int:
    """Write a payout as a PayPal Payouts or a Wise batch CSV; returns the number of lines.

    The lines are the net of the payout's commissions: a refund re-nets an unpaid payout.
    """
    if fmt not in FORMATS:
        raise PartnerRuleError("format", f"must be one of {', '.join(FORMATS)}")
    payout = session.get(Payout, payout_id)
    if payout is None or payout.program_id != program.id:
        raise PayoutNotFound("payout_id", f"no payout with id {payout_id}")
    lines = session.execute(
        select(PayoutLine, Partner)
        .join(Partner, Partner.id == PayoutLine.partner_id)
        .where(PayoutLine.payout_id == payout.id)
        .order_by(Partner.id)
    ).all()
    writer = CsvWriter(out)
    if fmt == "paypal":
        writer.writerow(["Email", "Amount", "Currency code", "Reference ID", "Note to recipient"])
    else:
        writer.writerow(
            ["name", "recipientEmail", "paymentReference", "receiverType", "amountCurrency",
             "amount", "sourceCurrency", "targetCurrency"]
        )  # fmt: skip
    for line, partner in lines:
        email = str(partner.payout_details.get("email") or partner.email)
        reference = f"evergreen-payout-{payout.id}-partner-{partner.id}"
        amount = f"{line.total:.2f}"
        if fmt == "paypal":
            writer.writerow([email, amount, line.currency, reference, "Affiliate commissions"])
        else:
            writer.writerow(
                [partner.name, email, reference, "PERSON", "SOURCE", amount, line.currency,
                 line.currency]
            )  # fmt: skip
    return len(lines)


def statement(
    session: Session,
    program: Program,
    partner_id: int,
    out: TextIO,
    *,
    since: datetime | None = None,
) -> Decimal:
    """One partner's commissions as CSV (theirs only); returns their unpaid balance."""
    rows: Iterable[Commission] = session.scalars(
        select(Commission)
        .where(Commission.program_id == program.id, Commission.partner_id == partner_id)
        .order_by(Commission.created_at, Commission.id)
    )
    writer = CsvWriter(out)
    writer.writerow(
        ["date", "commission", "kind", "amount", "currency", "status", "reason", "payout"]
    )
    unpaid = Decimal(0)
    for row in rows:
        if since is not None and row.created_at < since:
            continue
        writer.writerow(
            [row.created_at.date().isoformat(), row.id, row.kind, f"{row.amount:.2f}", row.currency,
             row.status, row.reason, row.payout_id or ""]
        )  # fmt: skip
        if row.status in OWED:
            unpaid += row.amount
    return unpaid
