"""Commission lifecycle use cases: approval after the holding period, holds and releases."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.db import utcnow
from evergreen.partners.models import Commission, Program
from evergreen.partners.rules import (
    ACTIONS,
    HAND_ACTIONS,
    Action,
    CommissionNotFound,
    PartnerConflict,
    PartnerRuleError,
    Status,
    approval_due,
    hand_action,
    hold_reason,
    transition,
)
from evergreen.partners.service.history import log_event
from evergreen.partners.service.payout_lines import lock_payouts
from evergreen.partners.service.postings import commission_to_ledger
from evergreen.partners.service.webhooks import commission_event, emit

__all__ = ["announce_approved", "approve_due", "change_status", "get_commission", "move"]


def approve_due(session: Session, program: Program, now: datetime, *, actor: str = "system") -> int:
    """Approve every pending commission whose holding period has passed; returns how many.

    Under the program's payout lock: a refund that reverses one meanwhile is applied before
    this reads, or waits until the approval is committed, so it never approves a reversal."""
    count = 0
    lock_payouts(session, program.id)
    pending = session.scalars(
        select(Commission)
        .where(Commission.program_id == program.id, Commission.status == Status.PENDING.value)
        .order_by(Commission.id)
        .execution_options(populate_existing=True)  # as stored now, under the lock
    )
    for commission in list(pending):
        if approval_due(commission.created_at, program.holding_days, now):
            move(session, commission, "approve", actor, note="holding period passed", now=now)
            count += 1
    return count


def get_commission(
    session: Session, program: Program, commission_id: int, *, current: bool = False
) -> Commission:
    """One of the program's commissions (another program's is not found either); `current`
    reads it as stored now, even if this unit of work read it before."""
    commission = session.get(Commission, commission_id, populate_existing=current)
    if commission is None or commission.program_id != program.id:
        raise CommissionNotFound("commission_id", f"no commission with id {commission_id}")
    return commission


def change_status(
    session: Session,
    program: Program,
    commission_id: int,
    action: str,
    *,
    actor: str,
    note: str = "",
) -> Commission:
    """Hold, release, reject or approve one commission by hand, recording who and why; a
    refusal names only what can be done by hand (HAND_ACTIONS, the page's buttons).

    The move is checked against the commission as stored under the program's payout lock, so
    a refund or a payout made meanwhile is never overwritten (a page may have read it before)."""
    asked = hand_action(action)
    lock_payouts(session, program.id)
    commission = get_commission(session, program, commission_id, current=True)
    try:
        move(session, commission, asked, actor, note=note, now=utcnow(), among=HAND_ACTIONS)
    except PartnerRuleError as exc:  # the request is fine; the commission's state forbids it
        raise PartnerConflict(exc.field, exc.message) from None
    return commission


def move(
    session: Session,
    commission: Commission,
    action: Action,
    actor: str,
    *,
    note: str,
    now: datetime,
    among: tuple[Action, ...] = ACTIONS,
) -> None:
    """The one path of a hold, release, reject or approval, by hand or by the hourly job:
    the rules allow it, the history records it, and an approval is announced to webhooks.
    The caller holds the program's payout lock (`lock_payouts`) and read the commission after
    taking it, so the move starts from the stored status, not one a refund or payout changed.

    A hold keeps its reason on the commission (the note, or a sentence saying the owner held
    it); a release clears the reasons, and a rejection's note is its reason. A refused move
    names the moves of `among` that are open (a person's are HAND_ACTIONS).
    """
    before = commission.status
    commission.status = transition(Status(before), action, among).value
    if action == "hold":  # every hold says why, to the owner and the partner
        note = hold_reason(note)
        commission.hold_reasons = [note]
    elif action == "release":  # pending again: no longer shown as held; the log keeps why
        was = "; ".join(commission.hold_reasons or [])
        note = note or (f"released from hold ({was})" if was else "released from hold")
        commission.hold_reasons = []
    log_event(session, commission, action, actor, before=before, note=note, at=now)
    if commission.status == Status.APPROVED.value:
        commission.approved_at = now
        announce_approved(session, commission)
    commission_to_ledger(session, commission, now.date())  # a cost once approved, until not


def announce_approved(session: Session, commission: Commission) -> None:
    """Tell subscribed webhooks a commission was approved (once per commission)."""
    emit(
        session, commission.program_id, "commission.approved",
        f"commission.approved:{commission.id}", commission_event(commission),
    )  # fmt: skip
