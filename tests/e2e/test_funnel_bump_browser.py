"""A funnel order step's own order bump, in a browser on a real server (SQLite) against
localstripe: the owner gives the ebook a checklist as its product bump, then builds a live funnel
sales → order → thank-you whose order step offers the workbook instead (the editor's "Order
bump"); a buyer walks the funnel to its checkout, sees the workbook (not the checklist), ticks
it, pays once by card and sees both lines on the receipt; the report counts the bump's take
rate. The buyer's pages are screenshotted at 390 and 1280 px, none wider than the screen.

The card is confirmed server-side with the SDK, as the other checkout browser tests do
(localstripe's Stripe.js never attaches one)."""

from __future__ import annotations

import re

import pytest
import stripe

from tests.commerce.localstripe import STRIPE_TEST_KEY, localstripe
from tests.e2e.conftest import Server, SignIn
from tests.e2e.test_checkout_browser import _fits
from tests.e2e.test_funnel_purchase_browser import _bases, build_live_funnel, shop_server
from tests.e2e.test_links_browser import DESKTOP_CHROME

__all__ = ["localstripe", "shop_server"]  # the fixtures, imported for pytest

pytestmark = pytest.mark.browser
PASSWORD = "a long enough passphrase"


def _both(page: object, name: str) -> None:
    """Screenshot a buyer's page at a phone's width and a laptop's, back to the phone."""
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 844})  # type: ignore[attr-defined]
        _fits(page, f"funnel-bump-{width}-{name}")
    page.set_viewport_size({"width": 390, "height": 844})  # type: ignore[attr-defined]


def test_a_buyer_ticks_the_order_steps_bump_and_pays_for_both_in_one_order(
    shop_server: Server, signed_in: SignIn, localstripe: str
) -> None:
    from playwright.sync_api import expect

    server = shop_server
    server.cli("init", "--email", "me@example.com", "--password-stdin", password=PASSWORD)
    for name, price in (("Growth Ebook", "29.00"), ("Workbook", "9.00"), ("Checklist", "5.00")):
        server.cli("commerce", "product", "add", name, "--kind", "digital", "--price", price,
                   "--currency", "USD")  # fmt: skip
        server.cli("commerce", "product", "status", name, "active")
    owner = signed_in(server, 1280, "me@example.com", PASSWORD, "funnel-bump-owner")
    page = owner.page
    page.goto(server.url + "/commerce/products/1")
    own = page.locator("#bump-form")
    own.get_by_label("Order bump").select_option(label="Checklist")
    own.get_by_label("Headline").fill("Add the checklist")
    own.get_by_role("button", name="Save order bump").click()
    expect(page.get_by_role("status")).to_contain_text("Order bump saved.")

    funnel_url = build_live_funnel(page, server.url, (
        ("sales", "Sales", "", ""), ("order", "Order", "Growth Ebook", "Workbook"),
        ("thankyou", "Thank you", "", ""),
    ))  # fmt: skip

    buyer = page.context.browser.new_context(
        viewport={"width": 390, "height": 844}, user_agent=DESKTOP_CHROME
    )
    shop = buyer.new_page()
    shop.goto(server.url + "/p/launch/sales")
    shop.locator("#step-yes").click()
    expect(shop.get_by_role("heading", name="Order")).to_be_visible()
    shop.locator("#step-yes").click()
    expect(shop.get_by_role("heading", name="Growth Ebook")).to_be_visible()
    expect(shop.locator("#bump")).to_contain_text("Add to your order")
    expect(shop.locator("#bump")).not_to_contain_text("Checklist")
    shop.get_by_label("Yes, add Workbook for 9.00 USD").check()
    shop.get_by_label("Email").fill("bea@example.com")
    _both(shop, "buy")
    shop.get_by_role("button", name="Continue to payment").click()
    expect(shop.locator("#order-total")).to_have_text("38.00 USD")
    shop.wait_for_function("typeof Stripe === 'function'")
    secret = shop.locator("#pay").get_attribute("data-secret") or ""
    intent = re.match(r"^(pi_\w+?)_secret_", secret)
    assert intent is not None, secret
    sdk = stripe.StripeClient(STRIPE_TEST_KEY, base_addresses=_bases(localstripe))
    card = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}
    method = sdk.v1.payment_methods.create({"type": "card", "card": card})  # type: ignore[typeddict-item]
    sdk.v1.payment_intents.update(intent.group(1), {"payment_method": method.id})
    sdk.v1.payment_intents.confirm(intent.group(1))
    shop.reload()  # no webhook reaches this server: the page asks Stripe
    expect(shop.locator("#status")).to_contain_text("Thank you")
    rows = shop.locator("#lines tr")
    expect(rows.filter(has_text="Growth Ebook")).to_contain_text("29.00 USD")
    expect(rows.filter(has_text="Workbook")).to_contain_text("9.00 USD")
    expect(shop.locator("#order-total")).to_have_text("38.00 USD")
    _both(shop, "paid")
    buyer.close()

    page.goto(funnel_url + "/report")
    expect(page.locator("#liquidation tfoot")).to_contain_text("100.0 %")  # 1 bump in 1 order
    owner.fits("report")
    assert not owner.problems, owner.problems
