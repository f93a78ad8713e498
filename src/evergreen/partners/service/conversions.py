"""Conversion use cases: record an event once and apply it. A lead, sale or renewal: load the
facts, let `rules.decide_commission` decide, store the commissions; a refund or chargeback:
refunds.py reverses or claws back. Every commission change is logged."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from evergreen.db import lock_for_writing, utcnow
from evergreen.links import queries as link_queries
from evergreen.partners.models import (
    Commission,
    Conversion,
    Coupon,
    Customer,
    Partner,
    PartnerLink,
    Program,
)
from evergreen.partners.rules import (
    ClickSeen,
    CommissionDecision,
    ConversionIn,
    EventType,
    Facts,
    FraudRules,
    check_event,
    decide_commission,
)
from evergreen.partners.service.commissioning import (
    attribution_of,
    bind,
    bonus_fields,
    commission_fields,
    conversion_fields,
    customer_state,
    partner_facts,
    terms_offers,
)
from evergreen.partners.service.history import log_event
from evergreen.partners.service.refunds import apply_refund
from evergreen.partners.service.webhooks import commission_event, emit

__all__ = ["ConversionIn", "Recorded", "facts_of", "log_event", "record_conversion", "settle"]


@dataclass(frozen=True)
class Recorded:
    """The stored conversion, the commissions it created or changed, and whether it was new."""

    conversion: Conversion
    commissions: list[Commission]
    duplicate: bool


def _announce(session: Session, commission: Commission) -> None:
    """Tell subscribed webhooks a commission exists (once per commission)."""
    emit(
        session, commission.program_id, "commission.created",
        f"commission.created:{commission.id}", commission_event(commission),
    )  # fmt: skip


def _click(
    session: Session, click_id: str, spooled: link_queries.SpooledClicks | None
) -> ClickSeen | None:
    """The click behind a click ID (stored, or answered and still spooled), with the partner
    who owns its link (if any)."""
    fact = link_queries.click_fact(session, click_id, spooled)
    if fact is None:
        return None
    owner = session.scalar(
        select(PartnerLink.partner_id).where(PartnerLink.link_id == fact.link_id)
    )
    return ClickSeen(click_id, fact.at, fact.visitor, fact.klass, owner)


def facts_of(
    session: Session,
    program: Program,
    data: ConversionIn,
    bound: int | None,
    *,
    spooled: link_queries.SpooledClicks | None = None,
    assigned: int | None = None,
) -> Facts:
    """What the event may be decided on: its click, its coupon's owner, the partner chosen by
    hand, the partners any of them leads to (and the customer's own), and the program's terms."""
    click = _click(session, data.click_id, spooled) if data.click_id else None
    code = data.coupon.strip().upper()
    coupon_owner = (
        session.scalar(select(Coupon.partner_id).where(Coupon.code == code)) if code else None
    )
    owner = click.owner if click is not None else None
    ids = {i for i in (bound, owner, coupon_owner, assigned) if i is not None}
    partners = [p for i in sorted(ids) if (p := session.get(Partner, i)) is not None]
    offers = terms_offers(session, program)
    return Facts(click, coupon_owner, partner_facts(partners), offers, assigned)


def _customer(session: Session, program: Program, data: ConversionIn) -> Customer:
    """The event's customer, locked until this unit of work ends (events of one customer sent
    together are applied one after the other, none losing a payment), created once."""
    query = (
        select(Customer)
        .where(Customer.program_id == program.id, Customer.external_id == data.customer_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    customer = session.scalar(query)
    if customer is not None:
        return customer
    customer = Customer(
        program_id=program.id, external_id=data.customer_id, email=data.customer_email.lower()
    )
    try:
        with session.begin_nested():  # another event of this new customer may store it first
            session.add(customer)
            session.flush()
    except IntegrityError:
        stored = session.scalar(query)
        assert stored is not None
        return stored
    return customer


def settle(
    session: Session,
    program: Program,
    conversion: Conversion,
    customer: Customer,
    decision: CommissionDecision,
    actor: str,
    note: str = "",
) -> list[Commission]:
    """Store a decision on a lead/sale/renewal: the customer's binding, the conversion's
    outcome, and the commissions it earns, each logged and announced (`note` says how)."""
    bind(customer, decision.customer)
    conversion.customer_id = customer.id
    conversion.status = decision.status
    conversion.note = "; ".join(part for part in (note, decision.note) if part)[:300]
    conversion.partner_id = decision.partner.id if decision.partner is not None else None
    if decision.due is None:
        return []
    fields = commission_fields(program.id, conversion.id, customer.id, decision)
    earned = Commission(**fields)
    session.add(earned)
    session.flush()
    why = "; ".join([note, *decision.hold_reasons] if note else decision.hold_reasons)
    log_event(session, earned, "created", actor, amount=decision.due.amount, note=why)
    _announce(session, earned)
    created = [earned]
    extra_fields = bonus_fields(decision, fields, earned.id)
    if extra_fields is not None:
        extra = Commission(**extra_fields)
        session.add(extra)
        session.flush()
        log_event(session, extra, "created", actor, amount=decision.bonus, note=note)
        _announce(session, extra)
        created.append(extra)
    return created


def _earn(
    session: Session,
    program: Program,
    data: ConversionIn,
    conversion: Conversion,
    actor: str,
    rules: FraudRules,
    spooled: link_queries.SpooledClicks | None,
) -> list[Commission]:
    """Attribute a lead/sale/renewal and create the commission it earns (held if suspicious)."""
    customer = _customer(session, program, data)
    facts = facts_of(session, program, data, customer.partner_id, spooled=spooled)
    decision = decide_commission(
        data, customer_state(customer), facts, attribution_of(program), rules
    )
    return settle(session, program, conversion, customer, decision, actor)


def _by_key(session: Session, program: Program, key: str) -> Conversion | None:
    """The conversion already stored under an idempotency key, if any."""
    return session.scalar(
        select(Conversion).where(
            Conversion.program_id == program.id, Conversion.idempotency_key == key
        )
    )


def record_conversion(
    session: Session,
    program: Program,
    data: ConversionIn,
    *,
    actor: str,
    rules: FraudRules | None = None,
    spooled: link_queries.SpooledClicks | None = None,
) -> Recorded:
    """Store a conversion once per idempotency key and apply it; a replay changes nothing.

    Given this machine's click spool, a click answered but not ingested yet attributes too.
    """
    check_event(data, program.currency)
    lock_for_writing(session)  # a refused event must leave nothing behind (see there)
    existing = _by_key(session, program, data.idempotency_key)
    if existing is not None:
        return Recorded(existing, [], duplicate=True)
    conversion = Conversion(**conversion_fields(program, data, utcnow()))
    try:
        with session.begin_nested():  # the same key arriving twice at once: one wins
            session.add(conversion)
            session.flush()
    except IntegrityError:
        again = _by_key(session, program, data.idempotency_key)
        assert again is not None
        return Recorded(again, [], duplicate=True)
    if data.event in (EventType.REFUND, EventType.CHARGEBACK):
        changed = apply_refund(session, program, data, conversion, actor)
    else:
        changed = _earn(session, program, data, conversion, actor, rules or FraudRules(), spooled)
    return Recorded(conversion, changed, duplicate=False)
