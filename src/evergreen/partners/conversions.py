"""Conversion use cases: record an event once, attribute it, owe the commission, handle refunds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from evergreen.db import utcnow
from evergreen.links.models import Click
from evergreen.partners.models import (
    Commission,
    CommissionEvent,
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
    PartnerRuleError,
    Signals,
    Status,
    Touch,
    TouchKind,
    attribute,
    bound_partner,
    commission_for,
    fraud_reasons,
    recruiter_bonus,
    refund_effect,
)
from evergreen.partners.service import terms_of
from evergreen.partners.webhooks import commission_event, emit

__all__ = ["ConversionIn", "Recorded", "log_event", "record_conversion"]


@dataclass(frozen=True)
class ConversionIn:
    """A reported event: from the conversions API, or later a payment provider's webhook."""

    idempotency_key: str
    event: EventType
    amount: Decimal
    currency: str
    customer_id: str
    occurred_at: datetime
    customer_email: str = ""
    order_id: str = ""
    click_id: str = ""
    coupon: str = ""
    customer_visitor: str = ""


@dataclass(frozen=True)
class Recorded:
    """The stored conversion, the commissions it created or changed, and whether it was new."""

    conversion: Conversion
    commissions: list[Commission]
    duplicate: bool


def log_event(
    session: Session,
    commission: Commission,
    action: str,
    actor: str,
    *,
    before: str = "",
    amount: Decimal | None = None,
    note: str = "",
) -> None:
    """Record a change of a commission, so its history can always be shown."""
    session.add(
        CommissionEvent(
            commission_id=commission.id,
            actor=actor,
            action=action,
            from_status=before,
            to_status=commission.status,
            amount=amount,
            note=note[:300],
        )
    )


def _announce(session: Session, commission: Commission) -> None:
    """Tell subscribed webhooks a commission exists (once per commission)."""
    emit(
        session, commission.program_id, "commission.created",
        f"commission.created:{commission.id}", commission_event(commission),
    )  # fmt: skip


def _touches(session: Session, data: ConversionIn) -> tuple[list[Touch], Click | None]:
    """Candidate sources: the click behind the click ID and the coupon, with their partners."""
    touches: list[Touch] = []
    click = None
    if data.click_id:
        click = session.scalar(select(Click).where(Click.click_id == data.click_id))
        if click is not None:
            owner = session.scalar(
                select(PartnerLink.partner_id).where(PartnerLink.link_id == click.link_id)
            )
            if owner is not None:
                touches.append(
                    Touch(
                        partner_id=owner, at=click.at, kind=TouchKind.CLICK, click_id=click.click_id
                    )
                )
    if data.coupon:
        code = data.coupon.strip().upper()
        owner = session.scalar(select(Coupon.partner_id).where(Coupon.code == code))
        if owner is not None:
            touches.append(
                Touch(partner_id=owner, at=data.occurred_at, kind=TouchKind.COUPON, coupon=code)
            )
    return touches, click


def _current_terms(
    session: Session, program: Program, group: str, at: datetime
) -> TermsVersion | None:
    """The newest terms version in force at `at` for the group (falling back to the default)."""
    for name in dict.fromkeys((group, "")):
        row = session.scalar(
            select(TermsVersion)
            .where(
                TermsVersion.program_id == program.id,
                TermsVersion.group == name,
                TermsVersion.effective_from <= at,
            )
            .order_by(TermsVersion.version.desc())
        )
        if row is not None:
            return row
    return None


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


def _months_between(start: datetime, end: datetime) -> int:
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - 1 if end.day < start.day else months


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
    touches, click = _touches(session, data)
    found = attribute(
        touches,
        at=data.occurred_at,
        model="first" if program.attribution_model == "first" else "last",
        window=timedelta(days=program.window_days),
    )
    partner_id = bound_partner(customer.partner_id, found)
    conversion.customer_id = customer.id
    if data.event is not EventType.LEAD:
        customer.payments += 1
    if partner_id is None:
        conversion.status = "unattributed"
        conversion.note = "no partner click or coupon matched; kept for review"
        return []
    partner = session.get(Partner, partner_id)
    if partner is None or partner.status != "active":
        conversion.status = "unattributed"
        conversion.note = f"partner {partner_id} is not active"
        return []
    if customer.partner_id is None:
        customer.partner_id = partner.id
        customer.attributed_at = data.occurred_at
        customer.attribution_rule = found.rule if found else ""
        locked = _current_terms(session, program, partner.group, data.occurred_at)
        customer.terms_id = locked.id if locked else None
    conversion.partner_id = partner.id
    conversion.status = "attributed"
    terms_row = session.get(TermsVersion, customer.terms_id) if customer.terms_id else None
    if terms_row is None:
        conversion.note = "the partner's group has no commission terms"
        return []
    due = commission_for(
        terms_of(terms_row),
        event=data.event,
        amount=data.amount,
        currency=data.currency,
        payment_number=max(customer.payments, 1),
        months_since_attribution=_months_between(
            customer.attributed_at or data.occurred_at, data.occurred_at
        ),
    )
    if due is None:
        conversion.note = "outside the commission duration of the customer's terms"
        return []
    reasons = fraud_reasons(
        Signals(
            partner_email=partner.email,
            partner_visitors=frozenset(partner.visitors or []),
            customer_email=data.customer_email or None,
            customer_visitor=(click.visitor if click is not None else data.customer_visitor)
            or None,
            customer_seen_before=customer.payments > 1 and data.event is EventType.SALE,
            click_class=click.klass if click is not None else None,
            click_at=click.at if click is not None else None,
            conversion_at=data.occurred_at,
        ),
        rules,
    )
    status = Status.ON_HOLD if reasons else Status.PENDING
    rule = customer.attribution_rule or (found.rule if found else "")
    earned = Commission(
        program_id=program.id,
        partner_id=partner.id,
        conversion_id=conversion.id,
        customer_id=customer.id,
        terms_id=terms_row.id,
        amount=due.amount,
        currency=due.currency,
        status=status.value,
        reason=due.reason,
        attribution_rule=rule,
        hold_reasons=reasons,
    )
    session.add(earned)
    session.flush()
    log_event(session, earned, "created", actor, amount=due.amount, note="; ".join(reasons))
    _announce(session, earned)
    created = [earned]
    bonus = recruiter_bonus(terms_of(terms_row), due.amount)
    if bonus and partner.recruited_by_id is not None:
        extra = Commission(
            program_id=program.id,
            partner_id=partner.recruited_by_id,
            conversion_id=conversion.id,
            customer_id=customer.id,
            terms_id=terms_row.id,
            kind="recruiter_bonus",
            parent_id=earned.id,
            amount=bonus,
            currency=due.currency,
            status=status.value,
            reason=f"recruiter bonus on commission {earned.id}",
            attribution_rule=rule,
            hold_reasons=reasons,
        )
        session.add(extra)
        session.flush()
        log_event(session, extra, "created", actor, amount=bonus)
        _announce(session, extra)
        created.append(extra)
    return created


def _refund(
    session: Session, program: Program, data: ConversionIn, conversion: Conversion, actor: str
) -> list[Commission]:
    """Reverse (before payment) or claw back (after) the commissions of the refunded order."""
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
        select(Commission).where(
            Commission.conversion_id == original.id, Commission.kind != "clawback"
        )
    )
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
            log_event(
                session, commission, "reversed", actor,
                before=before, amount=-effect.amount, note=effect.reason,
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
            log_event(session, claw, "clawback", actor, amount=effect.amount, note=effect.reason)
            changed.append(claw)
    return changed


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
    if data.occurred_at.tzinfo is None:
        raise PartnerRuleError("occurred_at", "needs a time zone, e.g. 2026-11-24T10:00:00Z")
    if data.currency.upper() != program.currency:
        raise PartnerRuleError(
            "currency", f"this program is in {program.currency}; got {data.currency.upper()}"
        )
    existing = _by_key(session, program, data.idempotency_key)
    if existing is not None:
        return Recorded(existing, [], duplicate=True)
    conversion = Conversion(
        program_id=program.id,
        idempotency_key=data.idempotency_key,
        event=data.event.value,
        amount=data.amount,
        currency=data.currency.upper(),
        order_id=data.order_id,
        click_id=data.click_id,
        coupon=data.coupon.strip().upper(),
        status="received",
        occurred_at=data.occurred_at,
        received_at=utcnow(),
    )
    try:
        with session.begin_nested():  # the same key arriving twice at once: one wins
            session.add(conversion)
            session.flush()
    except IntegrityError:
        again = _by_key(session, program, data.idempotency_key)
        assert again is not None
        return Recorded(again, [], duplicate=True)
    if data.event in (EventType.REFUND, EventType.CHARGEBACK):
        changed = _refund(session, program, data, conversion, actor)
    else:
        changed = _earn(session, program, data, conversion, actor, rules or FraudRules())
    return Recorded(conversion, changed, duplicate=False)
