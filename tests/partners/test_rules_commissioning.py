"""decide_commission on plain facts: no database, and nothing but the decision changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from evergreen.partners.rules import (
    AttributionPolicy,
    ClickSeen,
    ConversionIn,
    CustomerState,
    EventType,
    Facts,
    FraudRules,
    PartnerFacts,
    Terms,
    TermsOffer,
    decide_commission,
)

AT = datetime(2026, 3, 10, 12, tzinfo=UTC)
ANA = PartnerFacts(1, "active", "", "ana@blog.example", frozenset(), recruited_by_id=2)
TERMS = Terms(id=5, version=1, kind="percent", rate=Decimal(30), currency="USD", recruiter_rate=10)
OFFERS = (TermsOffer(TERMS, "", AT - timedelta(days=100)),)
CLICK = ClickSeen("c1", AT - timedelta(days=2), "v1", "human", owner=ANA.id)


def _sale(**changes: object) -> ConversionIn:
    fields: dict[str, object] = {
        "idempotency_key": "k1", "event": EventType.SALE, "amount": Decimal("100"),
        "currency": "USD", "customer_id": "cus_1", "occurred_at": AT, "click_id": "c1",
    }  # fmt: skip
    return ConversionIn(**{**fields, **changes})  # type: ignore[arg-type]


def test_a_first_sale_binds_the_customer_and_pays_the_partner_and_recruiter() -> None:
    before = CustomerState()
    facts = Facts(CLICK, None, {ANA.id: ANA}, OFFERS)
    decision = decide_commission(_sale(), before, facts, AttributionPolicy(), FraudRules())
    assert before == CustomerState()  # the input is a value: nothing was changed in place
    assert decision.status == "attributed"
    assert decision.customer == CustomerState(
        ANA.id, TERMS.id, AT, "last click on 2026-03-08 within the 30-day window", 1
    )
    assert decision.due is not None
    assert decision.due.amount == Decimal("30.00")
    assert decision.bonus == Decimal("3.00")
    assert decision.hold_reasons == []


def test_an_unattributed_sale_still_counts_as_a_payment() -> None:
    facts = Facts(None, None, {}, OFFERS)
    decision = decide_commission(
        _sale(click_id=""), CustomerState(payments=2), facts, AttributionPolicy(), FraudRules()
    )
    assert decision.status == "unattributed"
    assert decision.customer.payments == 3
    assert decision.due is None


def test_an_inactive_partner_earns_nothing_and_binds_nobody() -> None:
    paused = PartnerFacts(1, "suspended", "", "ana@blog.example", frozenset(), None)
    facts = Facts(CLICK, None, {1: paused}, OFFERS)
    decision = decide_commission(_sale(), CustomerState(), facts, AttributionPolicy(), FraudRules())
    assert (decision.status, decision.note) == ("unattributed", "partner 1 is not active")
    assert decision.customer.partner_id is None


def test_an_upsell_extending_the_first_purchase_is_paid_on_one_time_terms() -> None:
    facts = Facts(CLICK, None, {ANA.id: ANA}, OFFERS)
    first = decide_commission(_sale(), CustomerState(), facts, AttributionPolicy(), FraudRules())
    upsell = decide_commission(
        _sale(idempotency_key="k2", extends="ORDER1"),
        first.customer, facts, AttributionPolicy(), FraudRules(),
    )  # fmt: skip
    assert upsell.customer.payments == 1  # the same purchase, not a second payment
    assert upsell.due is not None
    assert upsell.due.amount == Decimal("30.00")
    repeat = decide_commission(
        _sale(idempotency_key="k3"), first.customer, facts, AttributionPolicy(), FraudRules()
    )
    assert repeat.customer.payments == 2
    assert repeat.due is None  # a later purchase is a second payment: one-time terms are spent
