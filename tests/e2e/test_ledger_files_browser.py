"""The owner adds an import rule, previews a bank statement and posts it, in the browser, on a
laptop (1280 px) and a phone (390 px): nothing wider than the screen."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import ARTIFACTS, Server

pytestmark = pytest.mark.browser
PASSWORD = "a long enough passphrase"
STATEMENT = (
    "Booking date;Payee;Details;Debit;Credit\n"
    "05.01.2026;Amazon Web Services EMEA SARL;Invoice EUINDE26-000123456789 for January;12,50;\n"
    "06.01.2026;Corner café;Flat white;3,00;\n"
)
_WIDE = "() => document.scrollingElement.scrollWidth - window.innerWidth"


def test_owner_adds_a_rule_previews_and_posts_a_statement(
    server: Server, page: object, tmp_path: Path
) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    server.cli("init", "--email", "me@example.com", "--password-stdin", password=PASSWORD)
    server.cli("streams", "add", "Blog about standing desks", "--currency", "EUR")
    statement = tmp_path / "statement-january.csv"
    statement.write_text(STATEMENT, encoding="utf-8")

    page.goto(server.url + "/login")
    page.get_by_label("Email").fill("me@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.goto(server.url + "/ledger/rules")
    expect(page.get_by_role("heading", name="Import rules")).to_be_visible()
    form = page.locator("#rule")
    form.get_by_label("Pattern").fill("amazon web")
    form.get_by_label("Stream").select_option(label="Blog about standing desks")
    form.get_by_label("Account").fill("Expenses:Hosting")
    form.get_by_role("button", name="Add rule").click()
    expect(page.get_by_role("status")).to_contain_text("Rule saved.")
    expect(page.locator("#rules tbody")).to_contain_text("Expenses:Hosting")

    page.get_by_role("link", name="Import a bank statement").click()
    page.locator("#upload input[type=file]").set_input_files(str(statement))
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview-counts")).to_contain_text(
        "2 rows: 1 to post, 0 posted already, 1 matched no rule"
    )
    expect(page.locator("#preview-totals")).to_contain_text("-12.50 EUR")
    expect(page.locator("#preview-rows")).to_contain_text("no rule matched: add one")
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 844})
        assert page.evaluate(_WIDE) <= 1, f"the preview is wider than {width} px"
        page.screenshot(path=str(ARTIFACTS / f"ledger-import-preview-{width}.png"), full_page=True)

    page.get_by_role("button", name="Post 1 entry").click()
    expect(page.locator("#import-result")).to_contain_text("1 entry posted, 0 posted already")
    assert page.evaluate(_WIDE) <= 1
    page.screenshot(path=str(ARTIFACTS / "ledger-import-posted-390.png"), full_page=True)

    page.goto(server.url + "/ledger/rules")
    assert page.evaluate(_WIDE) <= 1, "the rules page is wider than 390 px"
    page.screenshot(path=str(ARTIFACTS / "ledger-rules-390.png"), full_page=True)
    journal = server.cli("ledger", "export")
    assert "Expenses:BlogAboutStandingDesks:Hosting  12.50 EUR" in journal
