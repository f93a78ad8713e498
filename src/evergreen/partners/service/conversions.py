"""Conversion use cases: record an event once, apply it (earning.py decides what a lead, sale
or renewal earns; refunds.py reverses or claws back), and log every commission change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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
    TermsVersion,
)
from evergreen.partners.rules import (
    EventType,
    FraudRules,
    Terms,
)
from evergreen.partners.service.earning import (
    ClickSeen,
    ConversionIn,
    bonus_fields,
    check_event,
    commission_fields,
    conversion_fields,
    decide_earning,
    newest_terms,
)
from evergreen.partners.service.history import log_event
from evergreen.partners.service.refunds import apply_refund
from evergreen.partners.service.terms import terms_of
from evergreen.partners.service.webhooks import commission_event, emit

__all__ = ["ConversionIn", "Recorded", "log_event", "record_conversion"]


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


@dataclass(frozen=True)
class _Queries:
    """Sources read from the database one query at a time (the single-event path)."""

    session: Session
    program: Program

    def click(self, click_id: str) -> ClickSeen | None:
        row = link_queries.click_fact(self.session, click_id)
        if row is None:
            return None
        owner = self.session.scalar(
            select(PartnerLink.partner_id).where(PartnerLink.link_id == row.link_id)
        )
        return ClickSeen(click_id, row.at, row.visitor, row.klass, owner)

    def coupon_owner(self, code: str) -> int | None:
        return self.session.scalar(select(Coupon.partner_id).where(Coupon.code == code))

    def partner(self, partner_id: int) -> Partner | None:
        return self.session.get(Partner, partner_id)

    def terms_in_force(self, group: str, at: datetime) -> int | None:
        rows = self.session.scalars(
            select(TermsVersion).where(
                TermsVersion.program_id == self.program.id,
                TermsVersion.group.in_(dict.fromkeys((group, ""))),
                TermsVersion.effective_from <= at,
            )
        ).all()
        row = newest_terms(rows, group, at)
        return row.id if row is not None else None

    def terms(self, terms_id: int) -> Terms | None:
        row = self.session.get(TermsVersion, terms_id)
        return terms_of(row) if row is not None else None


def _customer(session: Session, program: Program, data: ConversionIn) -> Customer:
    customer = session.scalar(
        select(Customer).where(
            Customer.program_id == program.id, Customer.external_id == data.customer_id
        )
    )
    if customer is None:
        customer = Customer(
            program_id=program.id, external_id=data.customer_id, email=data.customer_email.lower()
        )
        session.add(customer)
        session.flush()
    return customer


def _earn(
    session: Session,
    program: Program,
    data: ConversionIn,
    conversion: Conversion,
    actor: str,
    rules: FraudRules,
) -> list[Commission]:
    """Attribute a lead/sale/renewal and create the commission it earns (held if suspicious)."""
    customer = _customer(session, program, data)
    earning = decide_earning(program, data, customer, _Queries(session, program), rules)
    conversion.customer_id = customer.id
    conversion.status, conversion.note = earning.status, earning.note
    conversion.partner_id = earning.partner.id if earning.partner is not None else None
    if earning.due is None:
        return []
    fields = commission_fields(program.id, conversion.id, customer.id, earning)
    earned = Commission(**fields)
    session.add(earned)
    session.flush()
    note = "; ".join(earning.hold_reasons)
    log_event(session, earned, "created", actor, amount=earning.due.amount, note=note)
    _announce(session, earned)
    created = [earned]
    extra_fields = bonus_fields(earning, fields, earned.id)
    if extra_fields is not None:
        extra = Commission(**extra_fields)
        session.add(extra)
        session.flush()
        log_event(session, extra, "created", actor, amount=earning.bonus)
        _announce(session, extra)
        created.append(extra)
    return created


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
) -> Recorded:
    """Store a conversion once per idempotency key and apply it; a replay changes nothing."""
    check_event(program, data)
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
        changed = _earn(session, program, data, conversion, actor, rules or FraudRules())
    return Recorded(conversion, changed, duplicate=False)
