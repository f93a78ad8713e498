"""A buyer pays for a product with its order bump through /buy/<slug> on a real server against
localstripe, then the owner refunds part of it after a confirmation; every page screenshotted
at a phone's width (390 px) and a laptop's (1280 px), none wider than the screen.

localstripe's Stripe.js loads and mounts the card field, but its confirmCardPayment only plays
the 3-D Secure step (it never attaches a card), so the card is confirmed server-side with the
SDK, as Stripe.js does for real; the buyer's page then completes the order by asking Stripe."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import stripe
from stripe._base_address import BaseAddresses

from tests.commerce.localstripe import STRIPE_TEST_KEY, localstripe
from tests.e2e.conftest import ARTIFACTS, Server, SignIn
from tests.e2e.inprocess import serve_here

__all__ = ["localstripe"]  # the session fixture, imported for pytest

pytestmark = pytest.mark.browser
PASSWORD = "a long enough passphrase"


@pytest.fixture
def shop_server(tmp_path: Path, localstripe: str) -> Iterator[Server]:
    env = {
        "EVERGREEN_STRIPE_SECRET_KEY": STRIPE_TEST_KEY,
        "EVERGREEN_STRIPE_WEBHOOK_SECRET": "whsec_browser",
        "EVERGREEN_STRIPE_API_BASE": localstripe,
        "EVERGREEN_STRIPE_PUBLISHABLE_KEY": "pk_test_evergreen",
        "EVERGREEN_STRIPE_JS_URL": f"{localstripe}/js.stripe.com/v3/",
    }
    running = serve_here(tmp_path / "data", env)
    yield running
    running.close()


def test_a_buyer_pays_with_a_bump_downloads_and_the_owner_refunds(
    shop_server: Server, signed_in: SignIn, localstripe: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    server = shop_server
    server.cli("init", "--email", "me@example.com", "--password-stdin", password=PASSWORD)
    for name, price in (("Growth Ebook", "29.00"), ("Workbook", "9.00")):
        server.cli("commerce", "product", "add", name, "--kind", "digital", "--price", price,
                   "--currency", "EUR")  # fmt: skip
        server.cli("commerce", "product", "status", name, "active")
    book = tmp_path / "growth.pdf"
    book.write_bytes(b"%PDF-1.7 the growth ebook")
    server.cli("commerce", "product", "file", "Growth Ebook", "--file", str(book))
    owner = signed_in(server, 1280, "me@example.com", PASSWORD, "checkout-owner")
    page = owner.page
    page.goto(server.url + "/commerce/products/1")
    bump = page.locator("#bump-form")
    bump.get_by_label("Order bump").select_option(label="Workbook")
    bump.get_by_label("Headline").fill("Add the workbook")
    bump.get_by_role("button", name="Save order bump").click()
    expect(page.get_by_role("status")).to_contain_text("Order bump saved.")

    buyer = page.context.browser.new_context(viewport={"width": 390, "height": 844})
    shop = buyer.new_page()
    shop.goto(server.url + "/buy/growth-ebook")
    expect(shop.get_by_role("heading", name="Growth Ebook")).to_be_visible()
    for width in (390, 1280):
        shop.set_viewport_size({"width": width, "height": 844})
        _fits(shop, f"checkout-buyer-{width}-buy")
    shop.set_viewport_size({"width": 390, "height": 844})
    shop.get_by_label("Yes, add Workbook for 9.00 EUR").check()
    shop.get_by_label("Email").fill("bea@example.com")
    shop.get_by_role("button", name="Continue to payment").click()
    expect(shop.locator("#order-total")).to_have_text("38.00 EUR")  # priced by the server
    expect(shop.locator("#pay")).to_be_visible()
    shop.wait_for_function("typeof Stripe === 'function'")  # localstripe's Stripe.js loaded
    for width in (390, 1280):
        shop.set_viewport_size({"width": width, "height": 844})
        _fits(shop, f"checkout-buyer-{width}-pay")
    secret = shop.locator("#pay").get_attribute("data-secret") or ""
    intent = re.match(r"^(pi_\w+?)_secret_", secret)
    assert intent is not None, secret
    bases: BaseAddresses = {"api": localstripe}
    sdk = stripe.StripeClient(STRIPE_TEST_KEY, base_addresses=bases)
    sdk.v1.payment_intents.update(intent.group(1), {"payment_method": "pm_card_visa"})
    sdk.v1.payment_intents.confirm(intent.group(1))
    shop.reload()  # no webhook reaches this server: the page asks Stripe
    expect(shop.locator("#status")).to_contain_text("Thank you")
    link = shop.locator("#downloads").get_by_role("link", name="growth.pdf")
    download = shop.request.get(link.get_attribute("href") or "")
    assert download.body() == b"%PDF-1.7 the growth ebook"
    for width in (390, 1280):
        shop.set_viewport_size({"width": width, "height": 844})
        _fits(shop, f"checkout-buyer-{width}-paid")

    page.goto(server.url + "/commerce/orders")
    expect(page.locator("#order-list")).to_contain_text("bea@example.com")
    expect(page.locator("#order-list")).to_contain_text("paid")
    page.locator("#order-list a").first.click()
    expect(page.locator("#order-lines")).to_contain_text("Workbook")
    refund = page.locator("#refund-form")
    refund.get_by_label("Amount").fill("9.00")
    refund.get_by_role("button", name="Refund…").click()
    expect(
        page.get_by_role("heading", name=re.compile(r"^Refund 9\.00 EUR of order"))
    ).to_be_visible()
    owner.fits("confirm-refund")
    page.get_by_role("button", name="Refund", exact=True).click()
    expect(page.locator("#order-status")).to_contain_text("Partially refunded")
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 844})
        owner.width = width
        owner.fits("order")
        page.goto(server.url + "/commerce/orders")
        owner.fits("orders")
        page.go_back()
    assert sdk.v1.payment_intents.retrieve(intent.group(1)).amount == 3800
    buyer.close()
    assert not owner.problems, owner.problems


def _fits(page: object, name: str) -> None:
    """Screenshot a public page and refuse one wider than the screen."""
    from tests.e2e.conftest import MEASURE

    seen = page.evaluate(MEASURE)  # type: ignore[attr-defined]
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]
    assert seen["scroll"] <= seen["width"], (name, seen)
