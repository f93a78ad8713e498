"""Fulfilment in a browser on a real server (bank transfer, no Stripe): a buyer buys a drop-
shipped mug with a shipping address, the owner marks it paid, finds the supplier order and
records tracking, and the buyer's order page shows it; a buyer of a done-for-you service answers
the intake questions, the owner ticks a task and marks it delivered after a confirmation. Every
page at 390 px and 1280 px, none wider than the screen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Server, SignIn
from tests.e2e.inprocess import serve_here
from tests.e2e.test_checkout_browser import _fits

pytestmark = pytest.mark.browser
PASSWORD = "a long enough passphrase"


@pytest.fixture
def shop_server(tmp_path: Path) -> Iterator[Server]:
    running = serve_here(tmp_path / "data")
    yield running
    running.close()


def _both(page: Any, name: str) -> None:
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 844})
        _fits(page, f"fulfilment-{name}-{width}")


def _mark_paid(page: Any, server: Server, email: str) -> None:
    from playwright.sync_api import expect

    page.goto(server.url + "/commerce/orders?status=pending")
    page.locator("#order-list tr", has_text=email).get_by_role("link").first.click()
    page.get_by_role("button", name="Mark paid…").click()
    page.get_by_role("button", name="Mark paid", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("marked paid")


def test_a_shipped_mug_and_a_done_for_you_service(shop_server: Server, signed_in: SignIn) -> None:
    from playwright.sync_api import expect

    server = shop_server
    server.cli("init", "--email", "me@example.com", "--password-stdin", password=PASSWORD)
    server.cli("commerce", "product", "add", "Mug", "--kind", "physical", "--price", "12.00",
               "--currency", "EUR")  # fmt: skip
    server.cli("commerce", "product", "add", "Logo design", "--kind", "service", "--price",
               "300.00", "--currency", "EUR")  # fmt: skip
    server.cli("commerce", "supplier", "add", "MugCo", "--method", "csv", "--currency", "EUR")
    server.cli("commerce", "supplier", "link", "1", "1")
    for name in ("Mug", "Logo design"):
        server.cli("commerce", "product", "status", name, "active")
    owner = signed_in(server, 1280, "me@example.com", PASSWORD, "fulfilment-owner")
    page = owner.page
    page.goto(server.url + "/commerce/products/1")
    form = page.locator("#supplier-form")
    form.get_by_label("Supplier SKU").fill("MUG-01")
    form.get_by_label("Currency").fill("EUR")
    form.get_by_label("Cost").fill("3.00")
    form.get_by_label("Shipping per zone").fill("DE: 4.50\nEU: 7.00")
    form.get_by_role("button", name="Save supplier").click()
    page.goto(server.url + "/commerce/products/2/fulfilment")
    service_form = page.locator("#fulfilment-form")
    service_form.get_by_label("Intake questions").fill("Your company name?\nColours you like?")
    service_form.get_by_label("Tasks").fill("First sketches")
    service_form.get_by_label("Delivery days").fill("7")
    service_form.get_by_role("button", name="Save").click()
    owner.fits("product-fulfilment")

    buyer_context = page.context.browser.new_context(viewport={"width": 390, "height": 844})
    shop = buyer_context.new_page()
    shop.goto(server.url + "/buy/mug")
    _both(shop, "buy")
    shop.set_viewport_size({"width": 390, "height": 844})
    shop.get_by_label("Email").fill("bea@example.com")
    shipping = shop.locator("#ship-to")
    shipping.get_by_label("Full name").fill("Bea Buyer")
    shipping.get_by_label("Address", exact=True).fill("Rue de Rivoli 1")
    shipping.get_by_label("City").fill("Paris")
    shipping.get_by_label("Postal code").fill("75001")
    shipping.get_by_label("Country").fill("CH")
    shop.get_by_role("button", name="Continue to payment").click()
    expect(shop.get_by_role("alert")).to_contain_text("we do not ship to CH")
    shop.locator("#ship-to").get_by_label("Country").fill("FR")
    shop.get_by_role("button", name="Continue to payment").click()
    expect(shop.locator("#order-total")).to_have_text("19.00 EUR")  # 12.00 + EU shipping 7.00
    mug_order = shop.url

    _mark_paid(page, server, "bea@example.com")
    page.goto(server.url + "/commerce/suppliers/orders")
    row = page.locator("#supplier-order-list tbody tr").first
    expect(row).to_contain_text("MUG-01")
    expect(row).to_contain_text("Paris")
    row.get_by_label("Tracking number").fill("CP123456789FR")
    row.get_by_label("Carrier").fill("Colissimo")
    row.get_by_role("button", name="Record tracking").click()
    expect(page.get_by_role("status")).to_contain_text("Tracking recorded")
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 844})
        owner.width = width
        owner.fits("supplier-orders")
        page.goto(server.url + "/commerce/suppliers")
        owner.fits("suppliers")
        page.goto(server.url + "/commerce/suppliers/orders")
    shop.goto(mug_order)
    expect(shop.locator("#shipping")).to_contain_text("Shipped with Colissimo")
    expect(shop.locator("#shipping")).to_contain_text("CP123456789FR")
    _both(shop, "order-shipped")

    shop.set_viewport_size({"width": 390, "height": 844})
    shop.goto(server.url + "/buy/logo-design")
    expect(shop.locator("#ship-to")).to_have_count(0)  # a service ships nothing
    shop.get_by_label("Email").fill("carl@example.com")
    shop.get_by_role("button", name="Continue to payment").click()
    service_order = shop.url
    page.set_viewport_size({"width": 1280, "height": 844})
    owner.width = 1280
    _mark_paid(page, server, "carl@example.com")
    shop.goto(service_order)
    shop.locator("#intake-link").click()
    _both(shop, "intake")
    shop.set_viewport_size({"width": 390, "height": 844})
    shop.get_by_label("Your company name?").fill("Carl's Bakery")
    shop.get_by_label("Colours you like?").fill("warm browns")
    shop.get_by_role("button", name="Save my answers").click()
    expect(shop.locator("#saved")).to_be_visible()

    page.goto(server.url + "/commerce/services")
    owner.fits("services")
    page.locator("#engagement-list a").first.click()
    expect(page.locator("#intake-answers")).to_contain_text("warm browns")
    page.get_by_role("button", name="Tick off First sketches").click()
    expect(page.locator("#task-list s")).to_have_text("First sketches")
    page.get_by_role("button", name="Mark delivered").click()
    expect(page.get_by_role("heading", name="Mark the service for carl@example.com delivered?"))
    owner.fits("confirm-deliver")
    page.get_by_role("button", name="Mark delivered").click()
    expect(page.locator("#delivered")).to_be_visible()
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 844})
        owner.width = width
        owner.fits("service")
    shop.goto(service_order)
    expect(shop.locator("#services")).to_contain_text("delivered")
    buyer_context.close()
    assert not owner.problems, owner.problems
