"""The owner imports a Shopify export on the pages of a real server, at 390 px and 1280 px:
upload → the preview (counts, the withheld row by line, a priced sample) → run → the progress
bar advances batch by batch to 100 % by itself → the summary → the products listed with their
landed margin; no page is wider than the screen."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.commerce.test_import_service import shopify_csv
from tests.e2e.conftest import Server, SignIn

pytestmark = pytest.mark.browser
PASSWORD = "a long enough passphrase"


@pytest.mark.parametrize("width", [390, 1280])
def test_owner_uploads_previews_and_runs_a_catalog_import(
    server: Server, signed_in: SignIn, tmp_path: Path, width: int
) -> None:
    from playwright.sync_api import expect

    server.cli("init", "--email", "me@example.com", "--password-stdin", password=PASSWORD)
    owner = signed_in(server, width, "me@example.com", PASSWORD, "catalog-import")
    page = owner.page
    export = tmp_path / "products_export.csv"
    export.write_text(shopify_csv(700, variants_every=100_000, bad=(4,)))  # two batches
    page.goto(server.url + "/commerce/imports")
    expect(page.get_by_role("heading", name="Import products")).to_be_visible()
    owner.fits("upload")
    page.goto(server.url + "/commerce/price-rules")  # its ranges' fieldset once set the width
    expect(page.get_by_role("heading", name="New price rule")).to_be_visible()
    owner.fits("price-rules")
    page.goto(server.url + "/commerce/imports")
    form = page.locator("#import-upload")
    form.get_by_label("CSV file").set_input_files(str(export))
    form.get_by_label("New products are").select_option("active")
    form.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview-counts")).to_contain_text("699 new products")
    expect(page.locator("#preview-errors")).to_contain_text("Line 6: Variant Price")
    expect(page.locator("#preview-rows")).to_contain_text("SKU-0")
    owner.fits("preview")
    page.get_by_role("button", name="Run import").click()
    expect(page.locator("#import-summary")).to_be_visible(timeout=60_000)
    expect(page.locator("#import-bar")).to_have_attribute("value", "100")
    expect(page.locator("#result-created")).to_have_text("699")
    expect(page.locator("#result-withheld")).to_have_text("1")
    owner.fits("summary")
    page.get_by_role("link", name="See the products").click()
    expect(page.locator("#product-list")).to_contain_text("Item 0")
    # Item 0: cost 2.50, price 9.00 from the file: margin 6.50 (72.22 %).
    expect(page.locator("#product-list")).to_contain_text("6.50 USD (72.22 %)")
    assert not owner.problems, owner.problems
