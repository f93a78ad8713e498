"""Subscriptions end to end in real Chromium against `evergreen serve` and localstripe: a buyer
subscribes at /subscribe/<slug> and pays the first month (the card confirmed with the SDK, as
in the checkout test: localstripe's Stripe.js does not attach cards), the owner sees the
subscription and its MRR, and the buyer, signed in by a mailed link (aiosmtpd), cancels in the
buyers' area after a confirmation. Pages screenshotted at 390 and 1280 px, none wider."""

from __future__ import annotations

import email
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import stripe
from stripe._base_address import BaseAddresses

from tests.commerce.localstripe import STRIPE_TEST_KEY, localstripe
from tests.e2e.conftest import Server, SignIn
from tests.e2e.inprocess import serve_here
from tests.e2e.test_checkout_browser import _fits
from tests.mail.smtp_server import FaultyHandler, smtp_env, smtp_server

__all__ = ["localstripe"]  # the session fixture, imported for pytest

pytestmark = pytest.mark.browser
PASSWORD = "a long enough passphrase"
BUYER = "bea@example.com"


@pytest.fixture
def club_server(tmp_path: Path, localstripe: str) -> Iterator[tuple[Server, FaultyHandler]]:
    with smtp_server() as (handler, port):
        env = {
            "EVERGREEN_STRIPE_SECRET_KEY": STRIPE_TEST_KEY,
            "EVERGREEN_STRIPE_WEBHOOK_SECRET": "whsec_browser",
            "EVERGREEN_STRIPE_API_BASE": localstripe,
            "EVERGREEN_STRIPE_PUBLISHABLE_KEY": "pk_test_evergreen",
            "EVERGREEN_STRIPE_JS_URL": f"{localstripe}/js.stripe.com/v3/",
            **smtp_env(port, "shop@shop.example"),
        }
        running = serve_here(tmp_path / "data", env)
        yield running, handler
        running.close()


def _both(page: object, name: str) -> None:
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 844})  # type: ignore[attr-defined]
        _fits(page, f"subscriptions-{name}-{width}")


def _sign_in_link(handler: FaultyHandler) -> str:
    """The sign-in link of the mail that carries one (the receipt came before it)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for message in list(handler.received):
            mail = email.message_from_bytes(message.content)  # type: ignore[arg-type]
            html = next(p for p in mail.walk() if p.get_content_type() == "text/html")
            body = html.get_payload(decode=True).decode()  # type: ignore[union-attr]
            found = re.search(r'href="(http[^"]+/account/signin/[^"]+)"', body)
            if found:
                return found.group(1)
        time.sleep(0.1)
    raise AssertionError("no sign-in mail arrived")


def test_a_buyer_subscribes_the_owner_sees_mrr_and_the_buyer_cancels(
    club_server: tuple[Server, FaultyHandler], signed_in: SignIn, localstripe: str
) -> None:
    from playwright.sync_api import expect

    server, handler = club_server
    server.cli("init", "--email", "me@example.com", "--password-stdin", password=PASSWORD)
    server.cli("commerce", "product", "add", "Club", "--kind", "subscription")
    server.cli("commerce", "product", "price", "Club", "--amount", "9.00", "--currency", "EUR",
               "--interval", "month")  # fmt: skip
    server.cli("commerce", "product", "status", "Club", "active")
    owner = signed_in(server, 1280, "me@example.com", PASSWORD, "subscriptions-owner")
    page = owner.page

    buyer = page.context.browser.new_context(viewport={"width": 390, "height": 844})
    shop = buyer.new_page()
    shop.goto(server.url + "/subscribe/club")
    expect(shop.locator("#price")).to_have_text("9.00 EUR a month")
    _both(shop, "subscribe")
    shop.set_viewport_size({"width": 390, "height": 844})
    shop.get_by_label("Email").fill(BUYER)
    shop.get_by_role("button", name="Continue to payment").click()
    expect(shop.locator("#pay")).to_be_visible()
    secret = shop.locator("#pay").get_attribute("data-secret") or ""
    intent = re.match(r"^(pi_\w+?)_secret_", secret)
    assert intent is not None, secret
    sdk = stripe.StripeClient(STRIPE_TEST_KEY, base_addresses=BaseAddresses(api=localstripe))
    sdk.v1.payment_intents.update(intent.group(1), {"payment_method": "pm_card_visa"})
    sdk.v1.payment_intents.confirm(intent.group(1))
    shop.reload()  # the page asks Stripe: the first month is paid
    expect(shop.locator("#status")).to_contain_text("Thank you")

    page.goto(server.url + "/commerce/subscriptions")
    expect(page.locator("#subscription-list")).to_contain_text(BUYER)
    expect(page.locator("#subscription-list")).to_contain_text("active")
    page.goto(server.url + "/commerce/mrr")
    expect(page.locator("#mrr-EUR")).to_contain_text("9.00")
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 844})
        owner.width = width
        owner.fits("mrr")
        page.goto(server.url + "/commerce/subscriptions")
        owner.fits("subscriptions")
        page.locator("#subscription-list a").first.click()
        owner.fits("subscription")
        page.goto(server.url + "/commerce/mrr")

    shop.goto(server.url + "/account")
    shop.get_by_label("Email").fill(BUYER)
    shop.get_by_role("button", name="Email me a sign-in link").click()
    shop.goto(_sign_in_link(handler))
    expect(shop.locator(".subscription")).to_contain_text("Club")
    expect(shop.locator(".sub-status")).to_have_text("active")
    expect(shop.locator(".subscription")).to_contain_text("9.00 EUR a month")
    _both(shop, "account")
    shop.get_by_role("button", name="Cancel subscription").click()
    expect(shop.get_by_role("heading", name="Cancel your subscription?")).to_be_visible()
    _both(shop, "confirm-cancel")
    shop.get_by_role("button", name="Cancel subscription").click()
    expect(shop.get_by_role("status")).to_contain_text("Subscription cancelled")
    expect(shop.get_by_role("button", name="Keep my subscription")).to_be_visible()
    _both(shop, "account-cancelled")
    page.goto(server.url + "/commerce/subscriptions")
    expect(page.locator("#subscription-list")).to_contain_text("(ends)")
    buyer.close()
    assert not owner.problems, owner.problems
