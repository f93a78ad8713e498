"""The Stripe provider against localstripe with the real SDK: intents, refunds, upsells, hooks."""

from __future__ import annotations

import json
import queue
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.payments import (
    MemoryInbox,
    OffSession,
    PaymentError,
    StripeProvider,
    receive,
)
from evergreen.commerce.rules.payments import EventKind, PaymentStatus
from tests.commerce.localstripe import STRIPE_TEST_KEY, localstripe
from tests.commerce.orders_world import HOOK_SECRET

__all__ = ["localstripe"]  # the session fixture, imported for pytest


def _key() -> str:
    return uuid.uuid4().hex


def _pay(sdk: stripe.StripeClient, payment_id: str, method: str = "pm_card_visa") -> None:
    """What the buyer's browser does with the client secret: attach a card and confirm."""
    sdk.v1.payment_intents.update(payment_id, {"payment_method": method})
    sdk.v1.payment_intents.confirm(payment_id)


def _saved_card(sdk: stripe.StripeClient, number: str) -> tuple[str, str]:
    customer = sdk.v1.customers.create({"email": "buyer@example.com"})
    card = {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}
    method = sdk.v1.payment_methods.create({"type": "card", "card": card})  # type: ignore[typeddict-item]
    sdk.v1.payment_methods.attach(method.id, {"customer": customer.id})
    return customer.id, method.id


def test_the_same_idempotency_key_twice_makes_one_intent(
    provider: StripeProvider, sdk: stripe.StripeClient
) -> None:
    key = _key()
    before = len(sdk.v1.payment_intents.list({"limit": 100}).data)
    first = provider.create_payment(4900, "EUR", {"order": "o-1"}, key)
    again = provider.create_payment(4900, "EUR", {"order": "o-1"}, key)
    after = len(sdk.v1.payment_intents.list({"limit": 100}).data)
    assert again.id == first.id
    assert after == before + 1
    assert first.status is PaymentStatus.PENDING
    assert (first.amount, first.currency, first.metadata) == (4900, "eur", {"order": "o-1"})
    assert first.client_secret is not None
    assert first.client_secret.startswith(first.id)
    other = provider.create_payment(4900, "EUR", {"order": "o-1"}, _key())
    assert other.id != first.id


def test_a_confirmed_intent_is_retrieved_as_succeeded(
    provider: StripeProvider, sdk: stripe.StripeClient
) -> None:
    payment = provider.create_payment(2500, "usd", {}, _key())
    _pay(sdk, payment.id)
    now = provider.retrieve(payment.id)
    assert now.status is PaymentStatus.SUCCEEDED
    assert (now.amount, now.amount_refunded) == (2500, 0)


def test_refund_partially_then_the_rest(provider: StripeProvider, sdk: stripe.StripeClient) -> None:
    payment = provider.create_payment(10000, "eur", {}, _key())
    with pytest.raises(CommerceInputError) as unpaid:
        provider.refund(payment.id, 100, _key())
    assert unpaid.value.field == "payment"
    _pay(sdk, payment.id)
    key = _key()
    part = provider.refund(payment.id, 3000, key)
    assert provider.refund(payment.id, 3000, key).id == part.id  # a retry refunds once
    assert part.amount == 3000
    assert provider.retrieve(payment.id).amount_refunded == 3000
    with pytest.raises(CommerceInputError, match="at most 7000"):
        provider.refund(payment.id, 7001, _key())
    rest = provider.refund(payment.id, None, _key())
    assert rest.amount == 7000
    assert provider.retrieve(payment.id).amount_refunded == 10000
    with pytest.raises(CommerceInputError, match="already fully refunded"):
        provider.refund(payment.id, None, _key())


def test_off_session_upsell_charges_a_saved_card_once(
    provider: StripeProvider, sdk: stripe.StripeClient
) -> None:
    customer, method = _saved_card(sdk, "4242424242424242")
    key = _key()
    result = provider.charge_saved(customer, method, 1900, "eur", {"offer": "upsell-1"}, key)
    assert result.outcome is OffSession.SUCCEEDED
    assert result.payment_id is not None
    assert provider.retrieve(result.payment_id).status is PaymentStatus.SUCCEEDED
    again = provider.charge_saved(customer, method, 1900, "eur", {"offer": "upsell-1"}, key)
    assert again.payment_id == result.payment_id  # a double click never charges twice


def test_off_session_upsell_asks_the_buyer_when_the_bank_wants_it(
    provider: StripeProvider, sdk: stripe.StripeClient
) -> None:
    customer, method = _saved_card(sdk, "4000002500003155")  # 3-D Secure required
    result = provider.charge_saved(customer, method, 1900, "eur", {}, _key())
    assert result.outcome is OffSession.REQUIRES_ACTION
    assert result.client_secret is not None
    assert result.payment_id is not None
    assert result.client_secret.startswith(result.payment_id)
    assert provider.retrieve(result.payment_id).status is PaymentStatus.REQUIRES_ACTION


def test_off_session_upsell_declined_says_so(
    provider: StripeProvider, sdk: stripe.StripeClient
) -> None:
    customer, method = _saved_card(sdk, "4000000000000341")  # attaches, declines charges
    result = provider.charge_saved(customer, method, 1900, "eur", {}, _key())
    assert result.outcome is OffSession.FAILED
    assert "declined" in result.message.lower()


def test_a_refused_request_is_a_payment_error_for_people(provider: StripeProvider) -> None:
    with pytest.raises(PaymentError) as error:
        provider.retrieve("pi_doesnotexist")
    assert error.value.message
    with pytest.raises(CommerceInputError) as bad:
        provider.create_payment(0, "eur", {}, _key())
    assert bad.value.field == "amount"


def _signed(payload: bytes, at: int, secret: str = HOOK_SECRET) -> str:
    """A header signed by the Stripe SDK's own code, independent of ours."""
    body = payload.decode()
    mac = stripe.WebhookSignature._compute_signature(f"{at}.{body}", secret)
    return f"t={at},v1={mac}"


def _event(event_id: str, payment_id: str) -> bytes:
    intent = {"id": payment_id, "object": "payment_intent", "amount": 4900, "currency": "eur"}
    event = {"id": event_id, "type": "payment_intent.succeeded", "data": {"object": intent}}
    return json.dumps(event).encode()


def test_signed_webhooks_good_bad_old_and_replayed(provider: StripeProvider) -> None:
    now = datetime.now(UTC)
    at = int(now.timestamp())
    payload = _event("evt_1", "pi_1")
    inbox = MemoryInbox()
    event = receive(provider, inbox, payload, _signed(payload, at), now)
    assert event is not None
    assert (event.id, event.kind, event.payment_id, event.amount, event.currency) == (
        "evt_1",
        EventKind.SUCCEEDED,
        "pi_1",
        4900,
        "eur",
    )
    assert receive(provider, inbox, payload, _signed(payload, at), now) is None  # replayed
    with pytest.raises(CommerceInputError, match="does not match") as bad:
        provider.parse_webhook(payload, _signed(payload, at, "whsec_other"), now)
    assert bad.value.field == "Stripe-Signature"
    with pytest.raises(CommerceInputError, match="older than 300"):
        provider.parse_webhook(payload, _signed(payload, at - 301), now)
    assert provider.parse_webhook(payload, _signed(payload, at - 299), now).id == "evt_1"
    tampered = payload.replace(b"4900", b"1")
    with pytest.raises(CommerceInputError, match="does not match"):
        provider.parse_webhook(tampered, _signed(payload, at), now)


class _Catcher(BaseHTTPRequestHandler):
    """Collects the webhooks localstripe posts, body and signature header."""

    received: queue.Queue[tuple[bytes, str]] = queue.Queue()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.put((body, self.headers.get("Stripe-Signature", "")))
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def webhook_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Catcher)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks/stripe"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_localstripe_webhooks_verify_and_apply_once(
    provider: StripeProvider, sdk: stripe.StripeClient, localstripe: str, webhook_url: str
) -> None:
    import urllib.parse
    import urllib.request

    form = urllib.parse.urlencode(
        {"url": webhook_url, "secret": HOOK_SECRET, "events[]": "payment_intent.succeeded"}
    ).encode()
    request = urllib.request.Request(
        f"{localstripe}/_config/webhooks/evergreen",
        data=form,
        headers={"Authorization": f"Bearer {STRIPE_TEST_KEY}"},
    )
    with urllib.request.urlopen(request, timeout=5):
        pass
    payment = provider.create_payment(7700, "eur", {"order": "o-77"}, _key())
    _pay(sdk, payment.id)
    inbox = MemoryInbox()
    deadline = time.monotonic() + 15
    while True:
        body, signature = _Catcher.received.get(timeout=max(0.1, deadline - time.monotonic()))
        event = receive(provider, inbox, body, signature, datetime.now(UTC))
        if event is not None and event.payment_id == payment.id:
            break
    assert event.kind is EventKind.SUCCEEDED
    assert (event.amount, event.currency, event.metadata) == (7700, "eur", {"order": "o-77"})
    assert receive(provider, inbox, body, signature, datetime.now(UTC)) is None


def test_a_payment_that_saves_its_card_can_be_charged_again_off_session(
    provider: StripeProvider, sdk: stripe.StripeClient
) -> None:
    key = _key()
    customer = provider.create_customer("buyer@example.com", "Bea", key)
    assert provider.create_customer("buyer@example.com", "Bea", key) == customer  # one per key
    payment = provider.create_payment(2900, "eur", {}, _key(), customer=customer, save_method=True)
    card = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}
    method = sdk.v1.payment_methods.create({"type": "card", "card": card})  # type: ignore[typeddict-item]
    _pay(sdk, payment.id, method.id)
    paid = provider.retrieve(payment.id)
    assert (paid.status, paid.customer, paid.payment_method) == (
        PaymentStatus.SUCCEEDED,
        customer,
        method.id,
    )
    assert sdk.v1.payment_methods.retrieve(method.id).customer == customer  # saved on them
    upsell = provider.charge_saved(customer, method.id, 1900, "eur", {}, _key())
    assert upsell.outcome is OffSession.SUCCEEDED


def test_saving_a_method_without_a_customer_is_refused(provider: StripeProvider) -> None:
    with pytest.raises(CommerceInputError, match="customer"):
        provider.create_payment(2900, "eur", {}, _key(), save_method=True)
