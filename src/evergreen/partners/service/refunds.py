"""Refunds and chargebacks: reverse a commission before it is paid (re-netting an unpaid payout
it is in), claw it back after."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evergreen.partners.models import (
    Commission,
    Conversion,
    Payout,
    Program,
)
from evergreen.partners.rules import (
    ConversionIn,
    EventType,
    Status,
    refund_effect,
)
from evergreen.partners.service.history import log_event
from evergreen.partners.service.payout_lines import lock_payouts, sync_open_payout
from evergreen.partners.service.postings import commission_to_ledger

__all__ = ["apply_refund"]


def apply_refund(
    session: Session, program: Program, data: ConversionIn, conversion: Conversion, actor: str
) -> list[Commission]:
    """Reverse (before payment) or claw back (after) the commissions of the refunded order.

    A commission in an unpaid payout is reversed there too: its partner's line is re-netted,
    and a fully reversed one leaves the batch so the rest can still be paid.
    """
    original = session.scalar(
        select(Conversion).where(
            Conversion.program_id == program.id,
            Conversion.order_id == data.order_id,
            Conversion.event.in_([EventType.SALE.value, EventType.RENEWAL.value]),
        )
    )
    if not data.order_id or original is None:
        conversion.status = "unattributed"
        conversion.note = f"no sale with order ID {data.order_id!r} to refund; kept for review"
        return []
    conversion.customer_id = original.customer_id
    conversion.partner_id = original.partner_id
    conversion.status = "applied"
    lock_payouts(session, program.id)  # a payout paid meanwhile makes this a clawback
    changed: list[Commission] = []
    earlier_refunds = session.scalar(
        select(func.coalesce(func.sum(Conversion.amount), 0)).where(
            Conversion.program_id == program.id,
            Conversion.order_id == data.order_id,
            Conversion.event.in_([EventType.REFUND.value, EventType.CHARGEBACK.value]),
            Conversion.id != conversion.id,
        )
    )
    unrefunded = original.amount - Decimal(earlier_refunds or 0)
    rows = session.scalars(
        select(Commission)
        .where(Commission.conversion_id == original.id, Commission.kind != "clawback")
        .execution_options(populate_existing=True)  # as stored now, under the lock
    )
    touched: set[int] = set()
    for commission in list(rows):
        clawed = session.scalar(
            select(func.coalesce(func.sum(Commission.amount), 0)).where(
                Commission.parent_id == commission.id, Commission.kind == "clawback"
            )
        )
        kept = commission.amount + Decimal(clawed or 0)  # what the partner still keeps
        effect = refund_effect(
            Status(commission.status), kept, max(unrefunded, Decimal(0)), data.amount,
            cause="chargeback" if data.event is EventType.CHARGEBACK else "refund",
        )  # fmt: skip
        before = commission.status
        if effect.action == "reverse":
            commission.amount -= min(effect.amount, commission.amount)
            if commission.amount == 0:
                commission.status = Status.REVERSED.value
            if commission.payout_id is not None:
                touched.add(commission.payout_id)
            log_event(
                session, commission, "reversed", actor,
                before=before, amount=-effect.amount, note=effect.reason, at=conversion.received_at,
            )  # fmt: skip
            changed.append(commission)
        elif effect.action == "clawback":
            claw = Commission(
                program_id=program.id,
                partner_id=commission.partner_id,
                conversion_id=conversion.id,
                customer_id=commission.customer_id,
                terms_id=commission.terms_id,
                kind="clawback",
                parent_id=commission.id,
                amount=effect.amount,
                currency=commission.currency,
                status=Status.APPROVED.value,  # owed back: netted in the next payout
                reason=effect.reason,
                attribution_rule=commission.attribution_rule,
            )
            session.add(claw)
            session.flush()
            log_event(
                session, claw, "clawback", actor, amount=effect.amount, note=effect.reason,
                at=conversion.received_at,
            )  # fmt: skip
            changed.append(claw)
    for payout_id in sorted(touched):
        payout = session.get(Payout, payout_id, populate_existing=True)
        if payout is not None:
            sync_open_payout(session, payout, actor, conversion.received_at)
    for commission in changed:  # the day it is recorded: earlier periods keep their figures
        commission_to_ledger(session, commission, conversion.received_at.date())
    return changed
