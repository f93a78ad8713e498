"""What a lead, sale or renewal earns, decided from plain facts: attribution, the customer's
binding to a partner and locked terms, the commission, fraud holds and the recruiter bonus.

The service loads the facts (the customer, the click, the coupon's owner, the partners and
terms they may lead to) and stores the decision; nothing here reads or changes a row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from evergreen.partners.rules.attribution import Touch, TouchKind, attribute, bound_partner
from evergreen.partners.rules.errors import PartnerRuleError
from evergreen.partners.rules.fraud import FraudRules, Signals, fraud_reasons
from evergreen.partners.rules.lifecycle import Status
from evergreen.partners.rules.terms import (
    Due,
    EventType,
    Terms,
    commission_for,
    recruiter_bonus,
    terms_in_force,
)

__all__ = [
    "AttributionPolicy",
    "ClickSeen",
    "CommissionDecision",
    "ConversionIn",
    "CustomerState",
    "Facts",
    "PartnerFacts",
    "TermsOffer",
    "check_event",
    "decide_commission",
    "hold_status",
    "terms_for",
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
    # The order this sale adds to (a one-click upsell taken right after it): part of the same
    # purchase, so not a further payment of the customer — one-time terms pay it too.
    extends: str = ""


@dataclass(frozen=True)
class ClickSeen:
    """The click behind a click ID, as attribution and the fraud checks see it."""

    click_id: str
    at: datetime
    visitor: str
    klass: str
    owner: int | None  # the partner whose link was clicked, if any


@dataclass(frozen=True, slots=True)
class CustomerState:
    """A customer's payments so far, and the partner and terms it is bound to (if any)."""

    partner_id: int | None = None
    terms_id: int | None = None
    attributed_at: datetime | None = None
    attribution_rule: str = ""
    payments: int = 0


@dataclass(frozen=True, slots=True)
class PartnerFacts:
    """What a decision reads of a partner."""

    id: int
    status: str
    group: str
    email: str
    visitors: frozenset[str]
    recruited_by_id: int | None


@dataclass(frozen=True, slots=True)
class TermsOffer:
    """One stored version of a group's terms, and when it took effect."""

    terms: Terms
    group: str
    effective_from: datetime


@dataclass(frozen=True)
class AttributionPolicy:
    """How the program attributes: which click wins and for how long a click counts."""

    model: Literal["last", "first"] = "last"
    window_days: int = 30


@dataclass(frozen=True)
class Facts:
    """Everything an event may be decided on, loaded before the decision."""

    click: ClickSeen | None
    coupon_owner: int | None
    partners: Mapping[int, PartnerFacts]  # at least the click's, the coupon's and the bound one
    offers: Sequence[TermsOffer]  # the program's terms versions, any order
    assigned: int | None = None  # the partner the owner chose by hand, if any


@dataclass(frozen=True)
class CommissionDecision:
    """What a lead, sale or renewal earns, and the customer as it stands after the event."""

    status: str
    note: str
    customer: CustomerState
    partner: PartnerFacts | None = None
    terms: Terms | None = None
    due: Due | None = None
    rule: str = ""
    hold_reasons: list[str] = field(default_factory=list)
    bonus: Decimal | None = None  # the recruiter's share, paid only if the partner has one


def check_event(data: ConversionIn, currency: str, where: str = "") -> None:
    """Refuse an event the program cannot take, naming the field (after `where` in a batch)."""
    if data.occurred_at.tzinfo is None:
        raise PartnerRuleError(
            f"{where}occurred_at", "needs a time zone, e.g. 2026-11-24T10:00:00Z"
        )
    if data.currency.upper() != currency:
        raise PartnerRuleError(
            f"{where}currency", f"this program is in {currency}; got {data.currency.upper()}"
        )


def hold_status(decision: CommissionDecision) -> Status:
    """A commission starts pending, or on hold when a fraud signal fired."""
    return Status.ON_HOLD if decision.hold_reasons else Status.PENDING


def terms_for(offers: Sequence[TermsOffer], group: str, at: datetime) -> Terms | None:
    """The group's terms in force at `at` (`terms_in_force`: the latest started, not the highest
    version), falling back to the default group's when the group has none in force yet."""
    for name in dict.fromkeys((group, "")):
        mine = sorted(
            (offer for offer in offers if offer.group == name),
            key=lambda offer: (offer.effective_from, offer.terms.version),
        )
        if mine and mine[0].effective_from <= at:
            starts = [offer.effective_from for offer in mine]
            return terms_in_force([offer.terms for offer in mine], starts, at)
    return None


def _months_between(start: datetime, end: datetime) -> int:
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - 1 if end.day < start.day else months


def _touches(data: ConversionIn, facts: Facts) -> list[Touch]:
    """Candidate sources: the partner's clicked link, the partner's coupon, the owner's choice."""
    click, coupon_owner = facts.click, facts.coupon_owner
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
    if facts.assigned is not None:
        touches.append(Touch(facts.assigned, at=data.occurred_at, kind=TouchKind.MANUAL))
    return touches


def _terms(offers: Sequence[TermsOffer], terms_id: int) -> Terms | None:
    return next((o.terms for o in offers if o.terms.id == terms_id), None)


def decide_commission(
    data: ConversionIn,
    customer: CustomerState,
    facts: Facts,
    attribution: AttributionPolicy,
    rules: FraudRules,
) -> CommissionDecision:
    """Attribute a lead/sale/renewal, bind a new customer to its partner and terms, price it
    and check it for fraud; the new customer state is part of the decision."""
    click = facts.click
    found = attribute(
        _touches(data, facts),
        at=data.occurred_at,
        model=attribution.model,
        window=timedelta(days=attribution.window_days),
    )
    partner_id = bound_partner(customer.partner_id, found)
    if data.event is not EventType.LEAD and not data.extends:
        customer = replace(customer, payments=customer.payments + 1)
    if partner_id is None:
        note = "no partner click or coupon matched; kept for review"
        return CommissionDecision("unattributed", note, customer)
    partner = facts.partners.get(partner_id)
    if partner is None or partner.status != "active":
        return CommissionDecision("unattributed", f"partner {partner_id} is not active", customer)
    if customer.partner_id is None:
        offered = terms_for(facts.offers, partner.group, data.occurred_at)
        customer = replace(
            customer,
            partner_id=partner.id,
            attributed_at=data.occurred_at,
            attribution_rule=found.rule if found else "",
            terms_id=offered.id if offered is not None else None,
        )
    terms = _terms(facts.offers, customer.terms_id) if customer.terms_id else None
    if terms is None:
        note = "the partner's group has no commission terms"
        return CommissionDecision("attributed", note, customer, partner)
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
        note = "outside the commission duration of the customer's terms"
        return CommissionDecision("attributed", note, customer, partner)
    reasons = fraud_reasons(
        Signals(
            partner_email=partner.email,
            partner_visitors=partner.visitors,
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
    return CommissionDecision("attributed", "", customer, partner, terms, due, rule, reasons, bonus)
