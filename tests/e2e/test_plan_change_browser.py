"""A plan change end to end in real Chromium against `evergreen serve` and localstripe: a buyer
subscribes to the monthly Club and pays (the card confirmed with the SDK, as in the
subscriptions test), the owner puts Club and Club Plus in one plan family from the command line,
then on the subscription's page picks Club Plus, sees the prorated amount on the confirmation
page and confirms: the plan is Club Plus now. Pages screenshotted at 390 and 1280 px."""

from __future__ import annotations

import re

import pytest
import stripe
from stripe._base_address import BaseAddresses

from tests.commerce.localstripe import STRIPE_TEST_KEY, localstripe
from tests.e2e.conftest import Server, SignIn
from tests.e2e.test_subscriptions_browser import club_server
from tests.mail.smtp_server import FaultyHandler

__all__ = ["club_server", "localstripe"]  # fixtures, imported for pytest

pytestmark = pytest.mark.browser
PASSWORD = "a long enough passphrase"


def test_the_owner_upgrades_a_subscription_after_seeing_the_prorated_amount(
    club_server: tuple[Server, FaultyHandler], signed_in: SignIn, localstripe: str
) -> None:
    from playwright.sync_api import expect

    server, _handler = club_server
    server.cli("init", "--email", "me@example.com", "--password-stdin", password=PASSWORD)
    for name, amount in (("Club", "9.00"), ("Club Plus", "19.00")):
        server.cli("commerce", "product", "add", name, "--kind", "subscription")
        server.cli("commerce", "product", "price", name, "--amount", amount, "--currency", "EUR",
                   "--interval", "month")  # fmt: skip
        server.cli("commerce", "product", "status", name, "active")
    for product_id in ("1", "2"):
        server.cli("commerce", "subscription", "family", product_id, "club")
    owner = signed_in(server, 1280, "me@example.com", PASSWORD, "plan-change")
    page = owner.page

    buyer = page.context.browser.new_context(viewport={"width": 390, "height": 844})
    shop = buyer.new_page()
    shop.goto(server.url + "/subscribe/club")
    shop.get_by_label("Email").fill("bea@example.com")
    shop.get_by_role("button", name="Continue to payment").click()
    expect(shop.locator("#pay")).to_be_visible()
    secret = shop.locator("#pay").get_attribute("data-secret") or ""
    intent = re.match(r"^(pi_\w+?)_secret_", secret)
    assert intent is not None, secret
    sdk = stripe.StripeClient(STRIPE_TEST_KEY, base_addresses=BaseAddresses(api=localstripe))
    sdk.v1.payment_intents.update(intent.group(1), {"payment_method": "pm_card_visa"})
    sdk.v1.payment_intents.confirm(intent.group(1))
    shop.reload()
    expect(shop.locator("#status")).to_contain_text("Thank you")
    buyer.close()

    page.goto(server.url + "/commerce/subscriptions")
    page.locator("#subscription-list a").first.click()
    expect(page.locator("#change-form")).to_contain_text("Club Plus: 19.00 EUR a month")
    address = page.url
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 844})
        owner.width = width
        page.goto(address)
        owner.fits("subscription")
        page.locator("#change-form select").select_option(label="Club Plus: 19.00 EUR a month")
        page.get_by_role("button", name="Change plan…").click()
        expect(page.get_by_role("heading", name=re.compile("plan\\?"))).to_be_visible()
        expect(page.locator("main")).to_contain_text("10.00 EUR (prorated for the rest")
        owner.fits("confirm-change")
    page.get_by_role("button", name="Change plan", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Plan changed.")
    expect(page.locator("#subscription-summary")).to_contain_text("Club Plus")
    expect(page.locator("#subscription-summary")).to_contain_text("19.00 EUR a month")
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 844})
        owner.width = width
        owner.fits("changed")
    assert not owner.problems, owner.problems
