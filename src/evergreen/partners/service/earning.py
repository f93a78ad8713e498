"""What a lead, sale or renewal earns: attribution, binding, locked terms, commission, fraud
holds and the recruiter bonus, decided from plain values.

Clicks, coupons, partners and terms are read through `Sources`, so the one-by-one path
(conversions.py) and the batch path (conversions_batch.py) make the same decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from evergreen.partners.models import (
    Partner,
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
)

__all__ = [
    "Bound",
    "ClickSeen",
    "ConversionIn",
    "Earning",
    "Sources",
    "bonus_fields",
    "check_event",
    "commission_fields",
    "conversion_fields",
    "decide_earning",
    "newest_terms",
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


def newest_terms(rows: Sequence[TermsVersion], group: str, at: datetime) -> TermsVersion | None:
    """The newest version in force at `at` for the group, falling back to the default group."""
    for name in dict.fromkeys((group, "")):
        live = [row for row in rows if row.group == name and row.effective_from <= at]
        if live:
            return max(live, key=lambda row: row.version)
    return None


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
