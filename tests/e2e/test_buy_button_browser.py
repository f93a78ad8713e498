"""The embeddable buy button and invoices in a real browser: the owner copies the snippet from
the product page into a static page served from another port; clicking the button opens the
checkout in an overlay, where a buyer completes a bank-transfer order without leaving the page;
the same link without the script opens the checkout page itself. Once the owner marks the
transfer paid (and refunds part), the buyer's order page and the owner's order page hand out
the invoice, and the owner the credit note, as PDF downloads. Screens at 390 and 1280 px."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ARTIFACTS, MEASURE, Server, SignIn
from tests.e2e.inprocess import serve_here

pytestmark = pytest.mark.browser
PASSWORD = "a long enough passphrase"


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """No request log on the test's output."""


@pytest.fixture
def other_site(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder of static pages served on another port: the owner's own website."""
    folder = tmp_path / "site"
    folder.mkdir()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield folder, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=10)


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[Server]:
    running = serve_here(tmp_path / "data")  # no Stripe key: bank transfer
    yield running
    running.close()


def _fits(page: Any, name: str) -> None:
    """Screenshot a page and refuse one wider than the screen (and so the overlay's checkout)."""
    seen = page.evaluate(MEASURE)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    assert seen["scroll"] <= seen["width"], (name, seen)
    frame = page.locator("[data-evergreen-overlay] iframe")
    if frame.count():
        inner = frame.element_handle().content_frame().evaluate(MEASURE)
        assert inner["scroll"] <= inner["width"] <= seen["width"], (name, inner)


def _page(html: str) -> str:
    return ("<!doctype html><html><head><meta name='viewport' content='width=device-width'>"
            f"<title>My site</title></head><body><main><h1>My book</h1><p>{html}</p></main>"
            "</body></html>")  # fmt: skip


def test_the_buy_button_sells_in_an_overlay_and_invoices_follow(
    shop: Server, other_site: tuple[Path, str], signed_in: SignIn
) -> None:
    from playwright.sync_api import expect

    shop.cli("init", "--email", "me@example.com", "--password-stdin", password=PASSWORD)
    shop.cli("commerce", "product", "add", "Growth Ebook", "--kind", "digital", "--price",
             "29.00", "--currency", "EUR")  # fmt: skip
    shop.cli("commerce", "product", "status", "Growth Ebook", "active")
    owner = signed_in(shop, 1280, "me@example.com", PASSWORD, "buy-button-owner")
    owner.page.goto(shop.url + "/commerce/products/1")
    snippet = owner.page.locator("#buy-snippet").input_value()
    assert f'<a href="{shop.url}/buy/growth-ebook" data-evergreen-buy' in snippet
    assert f'<script src="{shop.url}/embed/buy.js" async></script>' in snippet
    for width in (1280, 390):
        owner.page.set_viewport_size({"width": width, "height": 844})
        owner.width = width
        owner.fits("product")
    folder, site = other_site
    (folder / "index.html").write_text(_page(snippet))
    (folder / "plain.html").write_text(_page(snippet.split("\n")[0]))  # the link alone

    buyer = owner.page.context.browser.new_context(viewport={"width": 390, "height": 844})
    buyer.set_default_timeout(20_000)
    page = buyer.new_page()
    page.goto(site + "/index.html")
    page.get_by_role("link", name="Buy Growth Ebook for 29.00 EUR").click()
    overlay = page.locator("[data-evergreen-overlay]")
    expect(overlay).to_be_visible()
    checkout = page.frame_locator("[data-evergreen-overlay] iframe")
    expect(checkout.get_by_role("heading", name="Growth Ebook")).to_be_visible()
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 844})
        _fits(page, f"buy-button-{width}-overlay")
    checkout.get_by_label("Email").fill("bea@example.com")
    checkout.get_by_label("Name").fill("Bea Buyer")
    checkout.get_by_role("button", name="Continue to payment").click()
    expect(checkout.locator("#bank-transfer")).to_be_visible()
    expect(checkout.locator("#order-total")).to_have_text("29.00 EUR")
    assert page.url == site + "/index.html"  # the buyer never left the owner's site
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 844})
        _fits(page, f"buy-button-{width}-ordered")
    order_url = checkout.locator("#bank-transfer").evaluate("() => window.location.href")
    assert "embed=1" in order_url
    page.get_by_role("button", name="Close the checkout").click()
    expect(overlay).to_have_count(0)

    plain = buyer.new_page()  # the same link with no script: the checkout page itself
    plain.goto(site + "/plain.html")
    plain.get_by_role("link", name="Buy Growth Ebook for 29.00 EUR").click()
    plain.wait_for_url(shop.url + "/buy/growth-ebook")
    expect(plain.get_by_role("heading", name="Growth Ebook")).to_be_visible()
    _fits(plain, "buy-button-390-no-script")

    shop.cli("commerce", "order", "mark-paid", "1")
    shop.cli("commerce", "order", "refund", "1", "--amount", "4.00", "--yes")
    mine = buyer.new_page()
    mine.goto(order_url.replace("?embed=1", ""))
    link = mine.get_by_role("link", name="Invoice (PDF)")
    with mine.expect_download() as got:
        link.click()
    assert re.fullmatch(r"invoice-[0-9A-F]+\.pdf", got.value.suggested_filename)
    assert Path(got.value.path()).read_bytes().startswith(b"%PDF-")
    for width in (390, 1280):
        mine.set_viewport_size({"width": width, "height": 844})
        _fits(mine, f"buy-button-{width}-invoice-link")

    owner.page.goto(shop.url + "/commerce/orders/1")
    with owner.page.expect_download() as note:
        owner.page.get_by_role("link", name="Credit note (PDF)").click()
    assert re.fullmatch(r"credit-note-[0-9A-F]+-CN\.pdf", note.value.suggested_filename)
    for width in (390, 1280):
        owner.page.set_viewport_size({"width": width, "height": 844})
        owner.width = width
        owner.fits("order")
    buyer.close()
    assert not owner.problems, owner.problems
