"""Pure payment rules without network: Stripe's signature scheme, events, amounts, refunds."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import stripe

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.rules.payments import (
    EventKind,
    PaymentStatus,
    check_charge,
    check_refundable,
    parse_event,
    refund_amount,
    status_of,
    verify_signature,
)
from evergreen.signatures import sign

SECRET = "whsec_rules"
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
AT = int(NOW.timestamp())
BODY = b'{"id": "evt_1"}'


def _mac(secret: str, at: int = AT, body: bytes = BODY) -> str:
    return sign(secret, at, body).split("v1=", 1)[1]


def test_a_header_signed_by_the_stripe_sdk_verifies() -> None:
    mac = stripe.WebhookSignature._compute_signature(f"{AT}.{BODY.decode()}", SECRET)
    verify_signature(SECRET, f"t={AT},v1={mac}", BODY, NOW)
    assert mac == _mac(SECRET)


def test_any_of_several_v1_signatures_may_match_during_a_secret_roll() -> None:
    header = f"t={AT},v1={_mac('whsec_old')},v1={_mac(SECRET)},v0=ignored"
    verify_signature(SECRET, header, BODY, NOW)
    with pytest.raises(CommerceInputError, match="does not match"):
        verify_signature("whsec_third", header, BODY, NOW)


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("", "no timestamp"),
        (f"v1={_mac(SECRET)}", "no timestamp"),
        (f"t=abc,v1={_mac(SECRET)}", "no timestamp"),
        (f"t={AT},t={AT},v1={_mac(SECRET)}", "no timestamp"),
        (f"t={AT}", "no v1 signature"),
        (f"t={AT},v1=", "no v1 signature"),
        (f"t={AT - 301},v1={_mac(SECRET, AT - 301)}", "older than 300"),
        (f"t={AT + 301},v1={_mac(SECRET, AT + 301)}", "older than 300"),
        (f"t={AT},v1={'0' * 64}", "does not match"),
        (f"t={AT + 1},v1={_mac(SECRET)}", "does not match"),
    ],
)
def test_refused_signatures_name_the_header(header: str, reason: str) -> None:
    with pytest.raises(CommerceInputError, match=reason) as error:
        verify_signature(SECRET, header, BODY, NOW)
    assert error.value.field == "Stripe-Signature"


def test_the_tolerance_edge_is_accepted() -> None:
    verify_signature(SECRET, f"t={AT - 300},v1={_mac(SECRET, AT - 300)}", BODY, NOW)


def _payload(event_type: str, obj: dict[str, object], event_id: str = "evt_9") -> bytes:
    return json.dumps({"id": event_id, "type": event_type, "data": {"object": obj}}).encode()


@pytest.mark.parametrize(
    ("event_type", "obj", "kind", "payment_id", "amount"),
    [
        (
            "payment_intent.succeeded",
            {"object": "payment_intent", "id": "pi_1", "amount": 500, "amount_received": 500},
            EventKind.SUCCEEDED,
            "pi_1",
            500,
        ),
        (
            "payment_intent.payment_failed",
            {"object": "payment_intent", "id": "pi_2", "amount": 700},
            EventKind.FAILED,
            "pi_2",
            700,
        ),
        (
            "charge.refunded",
            {"object": "charge", "payment_intent": "pi_3", "amount": 900, "amount_refunded": 300},
            EventKind.REFUNDED,
            "pi_3",
            300,
        ),
        (
            "checkout.session.completed",
            {"object": "checkout.session", "payment_intent": "pi_4", "amount_total": 1200},
            EventKind.SUCCEEDED,
            "pi_4",
            1200,
        ),
        (
            "charge.updated",
            {"object": "charge", "payment_intent": "pi_5", "amount": 900, "amount_refunded": 0},
            EventKind.CHARGE_UPDATED,
            "pi_5",
            900,
        ),
        ("customer.created", {"object": "customer", "id": "cus_1"}, EventKind.OTHER, None, 0),
    ],
)
def test_events_are_normalised(
    event_type: str, obj: dict[str, object], kind: EventKind, payment_id: str | None, amount: int
) -> None:
    event = parse_event(_payload(event_type, {**obj, "currency": "EUR", "metadata": {"o": 1}}))
    assert (event.id, event.type, event.kind) == ("evt_9", event_type, kind)
    assert (event.payment_id, event.amount, event.currency) == (payment_id, amount, "eur")
    assert event.metadata == {"o": "1"}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (b"not json", "payload"),
        (b"[1]", "payload"),
        (json.dumps({"type": "x", "data": {"object": {}}}).encode(), "id"),
        (json.dumps({"id": "evt", "data": {"object": {}}}).encode(), "type"),
        (json.dumps({"id": "evt", "type": "x"}).encode(), "data.object"),
        (
            _payload("payment_intent.succeeded", {"object": "payment_intent", "amount": "5"}),
            "data.object.amount",
        ),
        (
            _payload("payment_intent.succeeded", {"object": "payment_intent", "amount": -5}),
            "data.object.amount",
        ),
    ],
)
def test_malformed_events_name_the_field(payload: bytes, field: str) -> None:
    with pytest.raises(CommerceInputError) as error:
        parse_event(payload)
    assert error.value.field == field


@pytest.mark.parametrize(
    ("amount", "currency", "field"),
    [
        (0, "eur", "amount"),
        (-1, "eur", "amount"),
        (True, "eur", "amount"),
        (10, "eu", "currency"),
        (10, "€€€", "currency"),
        (10, "", "currency"),
    ],
)
def test_check_charge_refuses_what_no_provider_should_get(
    amount: int, currency: str, field: str
) -> None:
    with pytest.raises(CommerceInputError) as error:
        check_charge(amount, currency)
    assert error.value.field == field


def test_check_charge_returns_the_lower_case_code() -> None:
    assert check_charge(100, " EUR ") == "eur"


def test_refund_amount_takes_the_rest_and_never_more() -> None:
    assert refund_amount(1000, 0, None) == 1000
    assert refund_amount(1000, 300, None) == 700
    assert refund_amount(1000, 300, 700) == 700
    with pytest.raises(CommerceInputError, match="at most 700"):
        refund_amount(1000, 300, 701)
    with pytest.raises(CommerceInputError, match="positive"):
        refund_amount(1000, 0, 0)
    with pytest.raises(CommerceInputError, match="already fully refunded"):
        refund_amount(1000, 1000, None)


@pytest.mark.parametrize("status", ["paid", "partially_refunded", "refunded"])
@pytest.mark.parametrize(("period", "cancel_now"), [(False, False), (True, False), (True, True)])
def test_money_that_arrived_may_go_back(status: str, period: bool, cancel_now: bool) -> None:
    check_refundable(status, period=period, cancel_now=cancel_now)


@pytest.mark.parametrize(
    ("status", "period", "cancel_now", "field", "message"),
    [
        ("pending", False, False, "order", "only a paid order can be refunded"),
        ("failed", True, True, "order", "only a paid order can be refunded"),
        ("cancelled", True, False, "order", "only a paid order can be refunded"),
        ("paid", False, True, "cancel_now", "this order is not a subscription's period"),
        ("pending", False, True, "cancel_now", "this order is not a subscription's period"),
    ],
)
def test_a_refund_is_refused_naming_what_to_change(
    status: str, period: bool, cancel_now: bool, field: str, message: str
) -> None:
    with pytest.raises(CommerceInputError) as refused:
        check_refundable(status, period=period, cancel_now=cancel_now)
    assert (refused.value.field, refused.value.message) == (field, message)


def test_stripe_statuses_in_our_words() -> None:
    assert status_of("requires_payment_method") is PaymentStatus.PENDING
    assert status_of("requires_action") is PaymentStatus.REQUIRES_ACTION
    assert status_of("succeeded") is PaymentStatus.SUCCEEDED
    assert status_of("canceled") is PaymentStatus.CANCELED
    assert status_of("something_new") is PaymentStatus.PENDING
