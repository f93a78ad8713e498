"""The program's commissions and payouts in the ledger, posted in the transaction that changes
them: an approved commission is a cost of the program's stream owed to the partner, a reversal
or hold takes it back, a partial refund changes it, a paid payout settles the debt from the
bank. `evergreen ledger sync` posts what was stored before, replaying each one's history."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.ledger import service as ledger
from evergreen.partners.models import (
    Commission,
    CommissionEvent,
    Partner,
    Payout,
    PayoutLine,
    Program,
)
from evergreen.partners.rules import PartnerRuleError

__all__ = ["check_stream", "commission_to_ledger", "payout_to_ledger", "post_to_ledger"]


def check_stream(session: Session, stream_id: int | None) -> None:
    """A stream the owner names must exist (the ledger's streams)."""
    ledger.require_stream(session, stream_id, PartnerRuleError)


def _program(session: Session, program_id: int) -> Program:
    program = session.get(Program, program_id)
    assert program is not None  # the foreign key cascades: a commission always has its program
    return program


def _remember(program: Program, fed: ledger.Fed) -> None:
    if fed.made_stream is not None and program.stream_id is None:
        program.stream_id = fed.made_stream


def commission_to_ledger(
    session: Session,
    commission: Commission,
    today: date,
    history: Sequence[ledger.Step] = (),
) -> int:
    """Post the commission as it stands now in the program's stream (made for the program at
    its first posting when it has none); returns the transactions posted."""
    program = _program(session, commission.program_id)
    partner = session.get(Partner, commission.partner_id)
    fed = ledger.post_partner_commission(
        session, commission_id=commission.id, program_id=program.id, program_name=program.name,
        stream_id=program.stream_id,
        partner_name=partner.name if partner is not None else f"#{commission.partner_id}",
        kind=commission.kind, status=commission.status, amount=commission.amount,
        currency=commission.currency, today=today, history=history,
    )  # fmt: skip
    _remember(program, fed)
    return fed.posted


def payout_to_ledger(session: Session, payout: Payout, today: date) -> int:
    """Post a paid payout: its lines' totals leave the bank and settle what partners were owed."""
    if payout.status != "paid":
        return 0
    program = _program(session, payout.program_id)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for line in session.scalars(select(PayoutLine).where(PayoutLine.payout_id == payout.id)):
        totals[line.currency] += line.total
    paid_on = payout.paid_at.date() if payout.paid_at is not None else today
    fed = ledger.post_partner_payout(
        session, payout_id=payout.id, program_id=program.id, program_name=program.name,
        stream_id=program.stream_id, currency=program.currency, totals=totals, paid_on=paid_on,
    )  # fmt: skip
    _remember(program, fed)
    return fed.posted


def _history(events: Iterable[CommissionEvent]) -> list[ledger.Step]:
    """A commission's states from its history: the status after each change and the amount
    then (created, less each refund's reversal; a clawback's own amount)."""
    steps: list[ledger.Step] = []
    amount: Decimal | None = None
    for event in events:
        if event.action in ("created", "clawback") and event.amount is not None:
            amount = event.amount
        elif event.action == "reversed" and event.amount is not None and amount is not None:
            amount += event.amount
        if amount is not None and event.to_status:
            steps.append(ledger.Step(event.to_status, amount, event.at.date()))
    return steps


def post_to_ledger(session: Session, today: date) -> int:
    """Post every commission and paid payout stored before the ledger fed on them (`evergreen
    ledger sync`); returns the transactions posted (0 when run again)."""
    events: dict[int, list[CommissionEvent]] = defaultdict(list)
    for event in session.scalars(select(CommissionEvent).order_by(CommissionEvent.id)):
        events[event.commission_id].append(event)
    posted = 0
    commissions = session.scalars(select(Commission).order_by(Commission.id)).all()
    for commission in commissions:
        steps = _history(events.pop(commission.id, []))
        # Without a history, what stands is posted as of its approval (or creation).
        day = today if steps else (commission.approved_at or commission.created_at).date()
        posted += commission_to_ledger(session, commission, day, steps)
    payouts = session.scalars(select(Payout).where(Payout.status == "paid").order_by(Payout.id))
    for payout in payouts.all():
        posted += payout_to_ledger(session, payout, today)
    return posted
