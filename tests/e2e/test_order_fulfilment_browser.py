"""The owner's order page in a browser on a real server: a buyer buys a drop-shipped mug, the
owner marks the bank transfer paid and sees on the order page where it ships and the supplier
order; sends it to the supplier again after a confirmation, types the tracking (a link to the
carrier follows) and refunds it: the page says it shipped before the refund. At 390 px and
1280 px, none wider than the screen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import Server, SignIn
from tests.e2e.inprocess import serve_here
from tests.e2e.test_fulfilment_browser import PASSWORD, _mark_paid

pytestmark = pytest.mark.browser


@pytest.fixture
def shop_server(tmp_path: Path) -> Iterator[Server]:
    running = serve_here(tmp_path / "data")
    yield running
    running.close()


def test_the_owner_follows_and_acts_on_a_drop_shipped_order(
    shop_server: Server, signed_in: SignIn
) -> None:
    from playwright.sync_api import expect

    server = shop_server
    server.cli("init", "--email", "me@example.com", "--password-stdin", password=PASSWORD)
    server.cli("commerce", "product", "add", "Mug", "--kind", "physical", "--price", "12.00",
               "--currency", "EUR")  # fmt: skip
    server.cli("commerce", "supplier", "add", "MugCo", "--method", "csv", "--currency", "EUR")
    server.cli("commerce", "supplier", "link", "1", "1")
    server.cli("commerce", "product", "status", "Mug", "active")
    owner = signed_in(server, 1280, "me@example.com", PASSWORD, "order-fulfilment")
    page = owner.page
    page.goto(server.url + "/commerce/products/1")
    form = page.locator("#supplier-form")
    form.get_by_label("Supplier SKU").fill("MUG-01")
    form.get_by_label("Currency").fill("EUR")
    form.get_by_label("Cost").fill("3.00")
    form.get_by_label("Shipping per zone").fill("EU: 7.00")
    form.get_by_role("button", name="Save supplier").click()

    buyer = page.context.browser.new_context(viewport={"width": 390, "height": 844})
    shop = buyer.new_page()
    shop.goto(server.url + "/buy/mug")
    shop.get_by_label("Email").fill("bea@example.com")
    ship_to = shop.locator("#ship-to")
    ship_to.get_by_label("Full name").fill("Bea Buyer")
    ship_to.get_by_label("Address", exact=True).fill("Rue de Rivoli 1")
    ship_to.get_by_label("City").fill("Paris")
    ship_to.get_by_label("Postal code").fill("75001")
    ship_to.get_by_label("Country").fill("FR")
    shop.get_by_role("button", name="Continue to payment").click()
    expect(shop.locator("#order-total")).to_have_text("19.00 EUR")
    buyer.close()

    _mark_paid(page, server, "bea@example.com")  # lands on the order page
    expect(page.locator("#ship-to")).to_contain_text("Rue de Rivoli 1, 75001 Paris, FR")
    supplier_order = page.locator("section[id^=supplier-order-]")
    expect(supplier_order).to_contain_text("MugCo")
    expect(supplier_order).to_contain_text("in the next CSV export")
    expect(supplier_order).to_contain_text("1 \u00d7 MUG-01 (Mug)")
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 844})
        owner.width = width
        owner.fits("order")

    supplier_order.get_by_role("button", name="Resend to supplier…").click()
    expect(page.get_by_role("heading", name="Send the order to MugCo again?")).to_be_visible()
    owner.fits("confirm-resend")
    page.get_by_role("button", name="Send again").click()
    expect(page.get_by_role("status")).to_contain_text("Sent to the supplier again.")

    supplier_order = page.locator("section[id^=supplier-order-]")
    supplier_order.get_by_label("Tracking number").fill("1Z999AA10123456784")
    supplier_order.get_by_label("Carrier").fill("UPS")
    supplier_order.get_by_role("button", name="Record tracking").click()
    expect(page.get_by_role("status")).to_contain_text("Tracking recorded.")
    link = page.locator("a.tracking-link")
    expect(link).to_have_attribute("href", "https://www.ups.com/track?tracknum=1Z999AA10123456784")

    page.get_by_role("button", name="Refund…").click()
    page.get_by_role("button", name="Refund", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Refund made.")
    expect(page.locator(".cancel-state")).to_have_text("shipped before refund")
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 844})
        owner.width = width
        owner.fits("order-refunded")
    assert not owner.problems, owner.problems
