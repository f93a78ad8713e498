"""The owner creates a digital product with a price and uploads its file on the pages, on a real
server, at a phone's width (390 px) and a laptop's (1280 px): a bad price is shown on the form
with what was typed kept, the product page lists the price and the file, pausing asks first, and
no page is wider than the screen."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import Server, SignIn

pytestmark = pytest.mark.browser
PASSWORD = "a long enough passphrase"


@pytest.mark.parametrize("width", [390, 1280])
def test_owner_creates_a_digital_product_with_a_price_and_a_file(
    server: Server, signed_in: SignIn, tmp_path: Path, width: int
) -> None:
    from playwright.sync_api import expect

    server.cli("init", "--email", "me@example.com", "--password-stdin", password=PASSWORD)
    owner = signed_in(server, width, "me@example.com", PASSWORD, "commerce")
    page = owner.page
    if width >= 1000:
        page.get_by_role("navigation", name="Areas").get_by_role("link", name="Commerce").click()
    else:
        page.goto(server.url + "/commerce")
    expect(page.get_by_role("heading", name="Products", exact=True)).to_be_visible()
    owner.fits("list")

    form = page.locator("#add-product")
    form.get_by_label("Name").fill("Growth Ebook")
    form.get_by_label("Kind").select_option("digital")
    form.get_by_label("Price").fill("nineteen")
    form.get_by_label("Currency").fill("EUR")
    form.get_by_role("button", name="Add product").click()
    expect(page.get_by_role("alert")).to_contain_text("amount")
    expect(form.get_by_label("Name")).to_have_value("Growth Ebook")  # kept to fix
    form.get_by_label("Price").fill("19.00")
    form.get_by_role("button", name="Add product").click()
    expect(page.get_by_role("status")).to_contain_text("Product added.")
    expect(page.locator("#price-list")).to_contain_text("19.00")
    expect(page.locator("#price-list")).to_contain_text("EUR")

    book = tmp_path / "growth.pdf"
    book.write_bytes(b"%PDF-1.7 " + bytes(2048))
    upload = page.locator("#upload-file")
    upload.get_by_label("Upload a file").set_input_files(str(book))
    upload.get_by_role("button", name="Upload file").click()
    expect(page.get_by_role("status")).to_contain_text("File stored.")
    expect(page.locator("#file-list")).to_contain_text("growth.pdf")
    stored = list((server.data_dir / "commerce").rglob("*growth.pdf"))
    assert [path.read_bytes() for path in stored] == [book.read_bytes()]

    status = page.locator("#status-form")
    status.get_by_label("New status").select_option("active")
    status.get_by_role("button", name="Change status").click()
    expect(page.locator("#status-now")).to_have_text("active")
    status.get_by_label("New status").select_option("paused")
    status.get_by_label("Reason").fill("rewriting chapter 3")
    status.get_by_role("button", name="Change status").click()
    expect(page.get_by_role("heading", name="Pause Growth Ebook?")).to_be_visible()
    owner.fits("confirm-pause")
    page.get_by_role("button", name="Pause product").click()
    expect(page.locator("#status-now")).to_have_text("paused")
    page.goto(page.url.split("#")[0])  # measured from the top, not the #status anchor
    expect(page.locator("#status")).to_contain_text("Status")
    owner.fits("product")

    page.goto(server.url + "/commerce/tax-rates")
    taxes = page.locator("#add-rate")
    taxes.get_by_label("Country").fill("DE")
    taxes.get_by_label("Percent").fill("19")
    taxes.get_by_role("button", name="Add tax rate").click()
    expect(page.locator("#tax-list")).to_contain_text("19 %")
    owner.fits("taxes")
    assert not owner.problems, owner.problems
