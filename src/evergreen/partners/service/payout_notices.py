"""Payout notices (service): when a payout is marked paid, each partner it pays gets one email
(amount, period, method) through the transactional engine. A notice is recorded with the
payout's change (one per payout and partner), claimed before it is sent (two senders never send
the same), and retried by the minute task until it goes or gives up."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from evergreen.config import Settings
from evergreen.db import Database, utcnow
from evergreen.mail.transactional import Transactional, deliver, mail_problem
from evergreen.partners.models import Partner, Payout, PayoutLine, PayoutNotice, Program
from evergreen.partners.rules.notices import (
    NOTICE_CLAIM,
    NOTICE_LIFETIME,
    NoticeFacts,
    notice_status_after,
    notice_values,
)
from evergreen.partners.service.payout_detail import partner_payout

__all__ = ["notices_of", "record_notices", "send_due_notices"]

_BODY = """<p>Hello {{ subscriber.name }},</p>
<p>{{ subscriber.fields.program }} has paid you <strong>{{ subscriber.fields.amount }}</strong>
(payout #{{ subscriber.fields.payout }}).</p>
<ul>
<li>Commissions earned: {{ subscriber.fields.period }}</li>
<li>Paid by: {{ subscriber.fields.method }}</li>
<li>Payment reference: {{ subscriber.fields.reference }}</li>
</ul>
<p>Each commission it settles is listed under Payouts in your partner portal.</p>
"""


def record_notices(session: Session, payout: Payout, now: datetime) -> int:
    """One due notice per partner the payout pays, recorded as it is marked paid."""
    partner_ids = sorted(
        set(session.scalars(select(PayoutLine.partner_id).where(PayoutLine.payout_id == payout.id)))
    )
    session.add_all(
        PayoutNotice(payout_id=payout.id, partner_id=partner_id, created_at=now)
        for partner_id in partner_ids
    )
    return len(partner_ids)


def notices_of(session: Session, payout_id: int) -> dict[int, PayoutNotice]:
    """A payout's notices by partner, for its page."""
    rows = session.scalars(select(PayoutNotice).where(PayoutNotice.payout_id == payout_id))
    return {row.partner_id: row for row in rows}


def _message(session: Session, notice: PayoutNotice) -> Transactional:
    """The notice's email, from the payout as stored (the partner's own lines and commissions)."""
    partner = session.get_one(Partner, notice.partner_id)
    program = session.get_one(Program, partner.program_id)
    detail = partner_payout(session, partner, notice.payout_id)
    first = detail.recipients[0]
    days = [item.created_at.date() for item in detail.items]
    facts = NoticeFacts(
        payout_id=notice.payout_id,
        program=program.name,
        amounts=[(line.currency, line.total) for line in detail.recipients],
        first=min(days) if days else None,
        last=max(days) if days else None,
        method=first.method,
        pay_to=first.pay_to,
        reference=first.reference,
    )
    values = notice_values(facts)
    return Transactional(
        to=partner.email,
        name=partner.name,
        subject=f"{values['program']} paid you {values['amount']}",
        body=_BODY,
        values=values,
    )


def _claim(
    db: Database, notice_id: int, now: datetime
) -> tuple[Transactional, int, datetime] | None:
    """Take a due notice for this sender (None when another took it, or it is too old to send)."""
    stale = now - NOTICE_CLAIM
    claimable = or_(
        PayoutNotice.status == "due",
        and_(PayoutNotice.status == "sending", PayoutNotice.claimed_at < stale),
    )
    with db.session() as session:
        claim = (
            update(PayoutNotice)
            .where(PayoutNotice.id == notice_id, claimable)
            .values(status="sending", claimed_at=now, attempts=PayoutNotice.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        if getattr(session.execute(claim), "rowcount", 0) != 1:
            return None
        notice = session.get_one(PayoutNotice, notice_id, populate_existing=True)
        if now - notice.created_at >= NOTICE_LIFETIME:
            notice.status, notice.problem = "failed", "not sent within 7 days of the payment"
            return None
        return _message(session, notice), notice.attempts, notice.created_at


def send_due_notices(
    db: Database, settings: Settings, *, payout_id: int | None = None, now: datetime | None = None
) -> tuple[int, int]:
    """Send the due payout notices (of one payout, or all); returns (sent, not sent). Nothing
    is tried while email is not set up: the notices wait (at most 7 days)."""
    if mail_problem(settings) is not None:
        return 0, 0
    now = now or utcnow()
    due = or_(
        PayoutNotice.status == "due",
        and_(PayoutNotice.status == "sending", PayoutNotice.claimed_at < now - NOTICE_CLAIM),
    )
    query = select(PayoutNotice.id).where(due).order_by(PayoutNotice.id).limit(500)
    if payout_id is not None:
        query = query.where(PayoutNotice.payout_id == payout_id)
    with db.session(writer=False) as session:
        ids = list(session.scalars(query))
    sent = missed = 0
    for notice_id in ids:
        claimed = _claim(db, notice_id, now)
        if claimed is None:
            continue
        message, attempts, created_at = claimed
        problem = deliver(settings, message, "payout notice")
        after = utcnow()
        status = notice_status_after(problem, attempts, created_at, after)
        with db.session() as session:
            session.execute(
                update(PayoutNotice)
                .where(PayoutNotice.id == notice_id)
                .values(
                    status=status,
                    problem=(problem or "")[:300],
                    sent_at=after if status == "sent" else None,
                )
            )
        sent, missed = (sent + 1, missed) if problem is None else (sent, missed + 1)
    return sent, missed
