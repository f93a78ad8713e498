"""Attribution after a conversion was recorded: when its click lands late, or by the owner's hand.

A conversion can arrive before its click is known (a click spooled on another machine, held in
memory while the disk refused it, or ingested after a restart). Such conversions are kept
"unattributed" with their click ID and retried by a periodic task until the click lands or the
conversion is `WAIT` old. The task, not the click ingester, does this: ingestion belongs to the
links area and may run elsewhere (another process, machine or sink), a retry is idempotent and
survives a crash at any point, and it catches clicks from every source the same way.

Either way the decision is the one a conversion gets when recorded (`decide_commission` on the
same facts, with the click or the owner's choice added), counted at the conversion's own payment
number, and stored the same way (`settle`): the commission is logged and announced.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evergreen.db import lock_for_writing, utcnow
from evergreen.links import queries as link_queries
from evergreen.partners.models import Conversion, Customer, Partner, Program
from evergreen.partners.rules import (
    CommissionDecision,
    ConversionIn,
    ConversionNotFound,
    EventType,
    FraudRules,
    PartnerConflict,
    PartnerRuleError,
    decide_commission,
)
from evergreen.partners.service.commissioning import attribution_of, customer_state
from evergreen.partners.service.conversions import Recorded, facts_of, settle

__all__ = ["WAIT", "attribute_by_hand", "attribute_late_clicks"]

WAIT = timedelta(days=7)  # how long an unattributed conversion waits for its click to land
_EARNING = (EventType.LEAD.value, EventType.SALE.value, EventType.RENEWAL.value)
_PAID = (EventType.SALE.value, EventType.RENEWAL.value)
_UNDO = (EventType.REFUND.value, EventType.CHARGEBACK.value)


def _event(conversion: Conversion, customer: Customer) -> ConversionIn:
    """The stored conversion as the event it was reported as."""
    return ConversionIn(
        idempotency_key=conversion.idempotency_key,
        event=EventType(conversion.event),
        amount=conversion.amount,
        currency=conversion.currency,
        customer_id=customer.external_id,
        occurred_at=conversion.occurred_at,
        customer_email=customer.email,
        order_id=conversion.order_id,
        click_id=conversion.click_id,
        coupon=conversion.coupon,
        extends=conversion.extends,  # an upsell stays part of the purchase it adds to
    )


def _refunded(session: Session, conversion: Conversion) -> bool:
    """Whether a refund or chargeback of the conversion's order was recorded already."""
    if not conversion.order_id:
        return False
    query = select(Conversion.id).where(
        Conversion.program_id == conversion.program_id,
        Conversion.order_id == conversion.order_id,
        Conversion.event.in_(_UNDO),
    )
    return session.scalar(query.limit(1)) is not None


def _decide(
    session: Session,
    program: Program,
    conversion: Conversion,
    customer: Customer,
    *,
    spooled: link_queries.SpooledClicks | None = None,
    assigned: int | None = None,
) -> CommissionDecision:
    """Decide the conversion again as of its own place among the customer's payments."""
    earlier = session.scalar(
        select(func.count()).where(
            Conversion.customer_id == customer.id,
            Conversion.event.in_(_PAID),
            Conversion.extends == "",  # an upsell was part of its purchase, not a payment
            Conversion.id < conversion.id,
        )
    )
    state = replace(customer_state(customer), payments=int(earlier or 0))
    data = _event(conversion, customer)
    facts = facts_of(
        session, program, data, customer.partner_id, spooled=spooled, assigned=assigned
    )
    decision = decide_commission(data, state, facts, attribution_of(program), FraudRules())
    # The customer's count already includes this conversion and any later ones.
    return replace(decision, customer=replace(decision.customer, payments=customer.payments))


def _waiting(session: Session, program: Program, conversion_id: int) -> Conversion:
    """A conversion of the program that is still unattributed and could earn."""
    # Locked on PostgreSQL: a second attempt (or the task) waits, then sees it attributed.
    conversion = session.get(Conversion, conversion_id, with_for_update=True)
    if conversion is None or conversion.program_id != program.id:
        raise ConversionNotFound("conversion_id", f"no conversion with id {conversion_id}")
    if conversion.event not in _EARNING:
        raise PartnerConflict(
            "conversion_id",
            f"conversion {conversion_id} is a {conversion.event}; only a lead, sale or renewal "
            "is attributed (a refund follows its sale)",
        )
    if conversion.status != "unattributed":
        raise PartnerConflict(
            "conversion_id", f"conversion {conversion_id} is already {conversion.status}"
        )
    if _refunded(session, conversion):
        raise PartnerConflict(
            "conversion_id",
            f"order {conversion.order_id!r} was refunded before it was attributed; "
            "settle it with the partner directly",
        )
    return conversion


def _customer_of(session: Session, conversion: Conversion) -> Customer:
    customer = session.get(Customer, conversion.customer_id) if conversion.customer_id else None
    if customer is None:
        raise PartnerConflict(
            "conversion_id", f"conversion {conversion.id} has no customer to bind to a partner"
        )
    return customer


def attribute_by_hand(
    session: Session,
    program: Program,
    conversion_id: int,
    partner_id: int,
    *,
    actor: str,
    note: str = "",
) -> Recorded:
    """Attribute an unattributed conversion to the partner the owner chose, under the normal
    rules (the customer is bound, the commission priced, held if suspicious), and record who."""
    lock_for_writing(session)
    conversion = _waiting(session, program, conversion_id)
    partner = session.get(Partner, partner_id)
    if partner is None or partner.program_id != program.id:
        raise PartnerRuleError("partner_id", f"no partner with id {partner_id}")
    if partner.status != "active":
        raise PartnerRuleError(
            "partner_id", f"{partner.name} is {partner.status}; only active partners earn"
        )
    customer = _customer_of(session, conversion)
    if customer.partner_id not in (None, partner.id):
        bound = session.get(Partner, customer.partner_id)
        name = bound.name if bound is not None else f"partner {customer.partner_id}"
        raise PartnerConflict(
            "partner_id",
            f"this customer is bound to {name}, who earns on their purchases; choose {name}",
        )
    decision = _decide(session, program, conversion, customer, assigned=partner.id)
    if decision.status != "attributed":
        raise PartnerConflict("partner_id", decision.note)
    how = f"attributed by hand by {actor}" + (f": {note.strip()}" if note.strip() else "")
    commissions = settle(session, program, conversion, customer, decision, actor, how)
    conversion.attributed_by, conversion.attributed_at = actor, utcnow()
    return Recorded(conversion, commissions, duplicate=False)


def attribute_late_clicks(
    session: Session,
    program: Program,
    now: datetime,
    *,
    spooled: link_queries.SpooledClicks | None = None,
    actor: str = "system",
) -> int:
    """Attribute unattributed conversions whose click has landed since; returns how many."""
    lock_for_writing(session)
    waiting = list(
        session.scalars(
            select(Conversion)
            .where(
                Conversion.status == "unattributed",
                Conversion.received_at >= now - WAIT,
                Conversion.program_id == program.id,
                Conversion.click_id != "",
                Conversion.event.in_(_EARNING),
            )
            .order_by(Conversion.id)
            .with_for_update(skip_locked=True)  # PostgreSQL: two workers never take the same
        )
    )
    if not waiting:
        return 0
    landed = link_queries.click_facts(session, (c.click_id for c in waiting), spooled)
    done = 0
    for conversion in waiting:
        if conversion.click_id not in landed or _refunded(session, conversion):
            continue
        customer = session.get(Customer, conversion.customer_id) if conversion.customer_id else None
        if customer is None:
            continue
        decision = _decide(session, program, conversion, customer, spooled=spooled)
        if decision.status != "attributed":
            continue  # e.g. the link is nobody's: the conversion stays for review
        how = f"attributed when click {conversion.click_id} landed"
        settle(session, program, conversion, customer, decision, actor, how)
        conversion.attributed_by, conversion.attributed_at = actor, now
        done += 1
    return done
