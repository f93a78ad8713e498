"""The stored side of a commission decision: the facts it is made on, the rows it writes.

Both the one-by-one path (conversions.py) and the batch path (conversions_batch.py) load
facts with these helpers, ask `rules.decide_commission`, and store with them, so they decide
and store alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.partners.models import Customer, Partner, Program, TermsVersion
from evergreen.partners.rules import (
    AttributionPolicy,
    CommissionDecision,
    ConversionIn,
    CustomerState,
    PartnerFacts,
    TermsOffer,
    hold_status,
)
from evergreen.partners.service.terms import terms_of

__all__ = [
    "attribution_of",
    "bind",
    "bonus_fields",
    "commission_fields",
    "conversion_fields",
    "customer_state",
    "partner_facts",
    "terms_offers",
]


def attribution_of(program: Program) -> AttributionPolicy:
    """The program's attribution settings as the rules read them."""
    first = program.attribution_model == "first"
    return AttributionPolicy("first" if first else "last", program.window_days)


def partner_facts(partners: Iterable[Partner]) -> dict[int, PartnerFacts]:
    """The partners as the rules read them, by id."""
    return {
        p.id: PartnerFacts(
            p.id, p.status, p.group, p.email, frozenset(p.visitors or []), p.recruited_by_id
        )
        for p in partners
    }


def terms_offers(session: Session, program: Program) -> list[TermsOffer]:
    """Every version of the program's terms, as the rules read them."""
    rows = session.scalars(select(TermsVersion).where(TermsVersion.program_id == program.id))
    return [TermsOffer(terms_of(row), row.group, row.effective_from) for row in rows]


def customer_state(row: Customer) -> CustomerState:
    """A stored customer's payments and binding, as the rules read them."""
    return CustomerState(
        row.partner_id, row.terms_id, row.attributed_at, row.attribution_rule, row.payments
    )


def bind(row: Customer, state: CustomerState) -> None:
    """Store a customer's payments and binding as a decision left them."""
    row.partner_id, row.terms_id = state.partner_id, state.terms_id
    row.attributed_at, row.attribution_rule = state.attributed_at, state.attribution_rule
    row.payments = state.payments


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
        "extends": data.extends,
        "status": "received",
        "occurred_at": data.occurred_at,
        "received_at": received_at,
    }


def commission_fields(
    program_id: int, conversion_id: int, customer_id: int, decision: CommissionDecision
) -> dict[str, Any]:
    """The commission a decision creates, as column values (held when a fraud signal fired)."""
    assert decision.partner is not None
    assert decision.terms is not None
    assert decision.due is not None
    return {
        "program_id": program_id,
        "partner_id": decision.partner.id,
        "conversion_id": conversion_id,
        "customer_id": customer_id,
        "terms_id": decision.terms.id,
        "kind": "commission",
        "parent_id": None,
        "amount": decision.due.amount,
        "currency": decision.due.currency,
        "status": hold_status(decision).value,
        "reason": decision.due.reason,
        "attribution_rule": decision.rule,
        "hold_reasons": decision.hold_reasons,
    }


def bonus_fields(
    decision: CommissionDecision, earned: dict[str, Any], parent_id: int
) -> dict[str, Any] | None:
    """The recruiter's bonus on the commission `earned` (stored as `parent_id`), if any."""
    assert decision.partner is not None
    if not decision.bonus or decision.partner.recruited_by_id is None:
        return None
    return {
        **earned,
        "partner_id": decision.partner.recruited_by_id,
        "kind": "recruiter_bonus",
        "parent_id": parent_id,
        "amount": decision.bonus,
        "reason": f"recruiter bonus on commission {parent_id}",
    }
