"""Conversion use cases: record an event once, attribute it, owe the commission, handle refunds.

The decision for a lead, sale or renewal (`decide_earning`) reads clicks, coupons, partners and
terms through `Sources`, so the batch path (conversions_batch.py) makes the same decision from
maps it loaded up front.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

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
    Due,
    EventType,
    FraudRules,
    PartnerRuleError,
    Signals,
    Status,
    Terms,
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

__all__ = [
    "Bound",
    "ClickSeen",
    "ConversionIn",
    "Earning",
    "Recorded",
    "Sources",
    "bonus_fields",
    "check_event",
    "commission_fields",
    "conversion_fields",
    "decide_earning",
    "event_fields",
    "log_event",
    "newest_terms",
    "record_conversion",
]


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


@dataclass(frozen=True)
class ClickSeen:
    """The click behind a click ID, as attribution and the fraud checks see it."""

    click_id: str
    at: datetime
    visitor: str
    klass: str
    owner: int | None  # the partner whose link was clicked, if any


class Bound(Protocol):
    """What a decision reads and changes of a customer: payments, and its partner and terms."""

    partner_id: int | None
    terms_id: int | None
    attributed_at: datetime | None
    attribution_rule: str
    payments: int


class Sources(Protocol):
    """Where a decision looks things up: the database one query at a time, or a batch's maps."""

    def click(self, click_id: str) -> ClickSeen | None: ...
    def coupon_owner(self, code: str) -> int | None: ...
    def partner(self, partner_id: int) -> Partner | None: ...
    def terms_in_force(self, group: str, at: datetime) -> int | None: ...
    def terms(self, terms_id: int) -> Terms | None: ...


@dataclass(frozen=True)
class Earning:
    """What a lead, sale or renewal earns, decided before anything about it is written."""

    status: str
    note: str
    partner: Partner | None = None
    terms: Terms | None = None
    due: Due | None = None
    rule: str = ""
    hold_reasons: list[str] = field(default_factory=list)
    bonus: Decimal | None = None  # the recruiter's share, paid only if the partner has one


def check_event(program: Program, data: ConversionIn, where: str = "") -> None:
    """Refuse an event the program cannot take, naming the field (after `where` in a batch)."""
    if data.occurred_at.tzinfo is None:
        raise PartnerRuleError(
            f"{where}occurred_at", "needs a time zone, e.g. 2026-11-24T10:00:00Z"
        )
    if data.currency.upper() != program.currency:
        raise PartnerRuleError(
            f"{where}currency",
            f"this program is in {program.currency}; got {data.currency.upper()}",
        )


def conversion_fields(
    program: Program, data: ConversionIn, received_at: datetime
) -> dict[str, Any]:
    """The conversion row of an event, before it is applied."""
    return {
        "program_id": program.id,
        "idempotency_key": data.idempotency_key,
        "event": data.event.value,
        "amount": data.amount,
        "currency": data.currency.upper(),
        "order_id": data.order_id,
        "click_id": data.click_id,
        "coupon": data.coupon.strip().upper(),
        "status": "received",
        "occurred_at": data.occurred_at,
        "received_at": received_at,
    }


def event_fields(
    commission_id: int,
    to_status: str,
    action: str,
    actor: str,
    *,
    before: str = "",
    amount: Decimal | None = None,
    note: str = "",
) -> dict[str, Any]:
    """One line of a commission's history, as column values."""
    return {
        "commission_id": commission_id,
        "actor": actor,
        "action": action,
        "from_status": before,
        "to_status": to_status,
        "amount": amount,
        "note": note[:300],
    }


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
            **event_fields(
                commission.id, commission.status, action, actor,
                before=before, amount=amount, note=note,
            )
        )
    )  # fmt: skip


def _announce(session: Session, commission: Commission) -> None:
    """Tell subscribed webhooks a commission exists (once per commission)."""
    emit(
        session, commission.program_id, "commission.created",
        f"commission.created:{commission.id}", commission_event(commission),
    )  # fmt: skip


def newest_terms(rows: Sequence[TermsVersion], group: str, at: datetime) -> TermsVersion | None:
    """The newest version in force at `at` for the group, falling back to the default group."""
    for name in dict.fromkeys((group, "")):
        live = [row for row in rows if row.group == name and row.effective_from <= at]
        if live:
            return max(live, key=lambda row: row.version)
    return None


@dataclass(frozen=True)
class _Queries:
    """Sources read from the database one query at a time (the single-event path)."""

    session: Session
    program: Program

    def click(self, click_id: str) -> ClickSeen | None:
        row = self.session.execute(
            select(Click.link_id, Click.at, Click.visitor, Click.klass).where(
                Click.click_id == click_id
            )
        ).first()
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


def _months_between(start: datetime, end: datetime) -> int:
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - 1 if end.day < start.day else months


def _touches(data: ConversionIn, click: ClickSeen | None, coupon_owner: int | None) -> list[Touch]:
    """Candidate sources: the partner's clicked link, then the partner's coupon."""
    touches: list[Touch] = []
    if click is not None and click.owner is not None:
        touches.append(
            Touch(
                partner_id=click.owner, at=click.at, kind=TouchKind.CLICK, click_id=click.click_id
            )
        )
    if coupon_owner is not None:
        code = data.coupon.strip().upper()
        touches.append(
            Touch(partner_id=coupon_owner, at=data.occurred_at, kind=TouchKind.COUPON, coupon=code)
        )
    return touches


def decide_earning(
    program: Program, data: ConversionIn, customer: Bound, sources: Sources, rules: FraudRules
) -> Earning:
    """Attribute a lead/sale/renewal, bind a new customer to its partner and terms, price it and
    check it for fraud; the customer is the only thing changed (payments and binding)."""
    click = sources.click(data.click_id) if data.click_id else None
    coupon_owner = sources.coupon_owner(data.coupon.strip().upper()) if data.coupon else None
    found = attribute(
        _touches(data, click, coupon_owner),
        at=data.occurred_at,
        model="first" if program.attribution_model == "first" else "last",
        window=timedelta(days=program.window_days),
    )
    partner_id = bound_partner(customer.partner_id, found)
    if data.event is not EventType.LEAD:
        customer.payments += 1
    if partner_id is None:
        return Earning("unattributed", "no partner click or coupon matched; kept for review")
    partner = sources.partner(partner_id)
    if partner is None or partner.status != "active":
        return Earning("unattributed", f"partner {partner_id} is not active")
    if customer.partner_id is None:
        customer.partner_id = partner.id
        customer.attributed_at = data.occurred_at
        customer.attribution_rule = found.rule if found else ""
        customer.terms_id = sources.terms_in_force(partner.group, data.occurred_at)
    terms = sources.terms(customer.terms_id) if customer.terms_id else None
    if terms is None:
        return Earning("attributed", "the partner's group has no commission terms", partner)
    due = commission_for(
        terms,
        event=data.event,
        amount=data.amount,
        currency=data.currency,
        payment_number=max(customer.payments, 1),
        months_since_attribution=_months_between(
            customer.attributed_at or data.occurred_at, data.occurred_at
        ),
    )
    if due is None:
        return Earning(
            "attributed", "outside the commission duration of the customer's terms", partner
        )
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
    rule = customer.attribution_rule or (found.rule if found else "")
    bonus = recruiter_bonus(terms, due.amount)
    return Earning("attributed", "", partner, terms, due, rule, reasons, bonus)


def commission_fields(
    program_id: int, conversion_id: int, customer_id: int, earning: Earning
) -> dict[str, Any]:
    """The commission an earning creates, as column values (held when a fraud signal fired)."""
    assert earning.partner is not None
    assert earning.terms is not None
    assert earning.due is not None
    return {
        "program_id": program_id,
        "partner_id": earning.partner.id,
        "conversion_id": conversion_id,
        "customer_id": customer_id,
        "terms_id": earning.terms.id,
        "kind": "commission",
        "parent_id": None,
        "amount": earning.due.amount,
        "currency": earning.due.currency,
        "status": (Status.ON_HOLD if earning.hold_reasons else Status.PENDING).value,
        "reason": earning.due.reason,
        "attribution_rule": earning.rule,
        "hold_reasons": earning.hold_reasons,
    }


def bonus_fields(earning: Earning, earned: dict[str, Any], parent_id: int) -> dict[str, Any] | None:
    """The recruiter's bonus on the commission `earned` (stored as `parent_id`), if any."""
    assert earning.partner is not None
    if not earning.bonus or earning.partner.recruited_by_id is None:
        return None
    return {
        **earned,
        "partner_id": earning.partner.recruited_by_id,
        "kind": "recruiter_bonus",
        "parent_id": parent_id,
        "amount": earning.bonus,
        "reason": f"recruiter bonus on commission {parent_id}",
    }


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
    check_event(program, data)
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
        changed = _refund(session, program, data, conversion, actor)
    else:
        changed = _earn(session, program, data, conversion, actor, rules or FraudRules())
    return Recorded(conversion, changed, duplicate=False)
