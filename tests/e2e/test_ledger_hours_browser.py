"""A mistyped time entry corrected and then deleted in real Chromium, at 390 px and 1280 px:
from the stream's hours figure to its entries, the entry's page, a refused correction that says
what to fix, a saved one, and a deletion that asks first."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.e2e.conftest import Server, SignIn

pytestmark = pytest.mark.browser
PASSWORD = "a long enough passphrase"
OWNER = "owner@example.com"


@pytest.mark.parametrize("width", [1280, 390])
def test_a_mistyped_entry_is_corrected_then_deleted(
    server: Server, signed_in: SignIn, width: int
) -> None:
    from playwright.sync_api import expect

    today = datetime.now(UTC).date().isoformat()
    server.cli("init", "--email", OWNER, "--password-stdin", password=PASSWORD)
    server.cli("streams", "add", "Blog", "--kind", "affiliate")
    server.cli("streams", "add", "Course", "--kind", "other")
    server.cli("hours", "add", "--stream", "Blog", "--date", today, "--hours", "15",
               "--memo", "Newsletter")  # fmt: skip
    server.cli("hours", "add", "--stream", "Course", "--date", today, "--hours", "8")
    owner = signed_in(server, width, OWNER, PASSWORD, "ledger-hours")
    page = owner.page

    page.goto(server.url + "/ledger/streams/1")
    expect(page.locator("#figure-hours .number")).to_have_text("15.00")
    page.locator("#figure-hours").click()
    page.get_by_role("link", name=f"Correct or delete the entry of {today}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Time entry 1")
    field = page.locator("#hours-entry-form").get_by_label("Hours")
    expect(field).to_have_value("15")
    owner.fits("entry")

    field.fill("17")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("a day has 24")
    expect(field).to_have_attribute("aria-invalid", "true")
    field.fill("1.5")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Time entry corrected.")
    expect(page.locator("#listed-sum")).to_have_text("1.50")
    owner.fits("corrected")

    page.get_by_role("link", name=f"Correct or delete the entry of {today}").click()
    page.get_by_role("button", name="Delete time entry").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete time entry 1?")
    owner.fits("confirm")
    page.get_by_role("button", name="Delete time entry").click()
    expect(page.get_by_role("status")).to_have_text("Time entry deleted.")
    expect(page.locator("#entries")).to_contain_text("No hours in this period.")
    page.locator("#back-to-stream").click()
    expect(page.locator("#figure-hours .number")).to_have_text("0.00")
    assert not owner.problems, "\n".join(owner.problems)
