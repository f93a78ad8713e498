"""An unpaid payout follows its commissions: a refund that changes one re-nets its partner's
line, a reversed one leaves the batch, and what is paid and posted is what they add up to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.partners.models import Commission, Payout, PayoutLine, Program
from evergreen.partners.rules import Payable, Status, replan_open_payout, transition
from evergreen.partners.service.history import log_event

__all__ = ["lock_payouts", "sync_open_payout"]


def lock_payouts(session: Session, program_id: int) -> None:
    """Take the program's payout lock until this unit of work ends, before reading what it will
    change: a refund, a payout's creation or payment and a status change (approval, hold,
    release, rejection) of the same program run one after the other, so none overwrites
    another's and a payout's lines never disagree with its commissions (PostgreSQL: the
    program's row; SQLite: a writer already holds the database's write lock)."""
    # FOR NO KEY UPDATE: the rows this unit of work already inserted hold a key-share lock on
    # the program (their foreign key), which a plain FOR UPDATE would deadlock against.
    query = select(Program.id).where(Program.id == program_id).with_for_update(key_share=True)
    session.execute(query)


def sync_open_payout(session: Session, payout: Payout, actor: str, at: datetime) -> None:
    """Re-net an unpaid payout's lines from its commissions as they stand now (a paid payout
    keeps what it paid: a later refund is a clawback). Reversed commissions leave the batch; a
    partner whose line falls to zero or below leaves it whole (`replan_open_payout`)."""
    if payout.status == "paid":
        return
    session.flush()
    members = list(
        session.scalars(
            select(Commission)
            .where(Commission.payout_id == payout.id)
            .order_by(Commission.id)
            .execution_options(populate_existing=True)
        )
    )
    for commission in members:
        if commission.status == Status.REVERSED.value:  # nothing left to pay
            commission.payout_id = None
    kept = [c for c in members if c.payout_id is not None]
    items = [Payable(c.id, c.partner_id, c.amount, c.currency) for c in kept]
    lines, let_go = replan_open_payout(items)
    by_id = {c.id: c for c in kept}
    for line in let_go:
        for commission_id in line.commission_ids:
            commission = by_id[commission_id]
            before = commission.status
            commission.status = transition(Status(before), "leave_payout").value
            commission.payout_id = None
            log_event(
                session, commission, "leave_payout", actor, before=before, at=at,
                note=f"payout {payout.id}: the partner's net {line.total} {line.currency} is not "
                "positive; it waits for a later payout",
            )  # fmt: skip
    stored = {
        (row.partner_id, row.currency): row
        for row in session.scalars(select(PayoutLine).where(PayoutLine.payout_id == payout.id))
    }
    for line in lines:
        row = stored.pop((line.partner_id, line.currency), None)
        if row is None:  # cannot happen today: a batch's partners only ever leave it
            session.add(
                PayoutLine(
                    payout_id=payout.id, partner_id=line.partner_id, currency=line.currency,
                    total=line.total,
                )
            )  # fmt: skip
        else:
            row.total = line.total
    for row in stored.values():  # the partner left the batch: nothing to pay them in it
        session.delete(row)
    session.flush()
