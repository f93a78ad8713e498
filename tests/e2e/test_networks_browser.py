"""The owner sets up a network in the browser: mapping, CSV report upload, the imported earning."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import ARTIFACTS, Server

pytestmark = pytest.mark.browser
PASSWORD = "a long enough passphrase"
REPORT = (
    "Transaction,Our ref,Sale total,Payout,State,Booked\r\n"
    "TX-900,,250.00,18.75,Confirmed,2026-02-14\r\n"
)


def test_owner_adds_a_network_maps_its_report_and_imports_it(
    server: Server, page: object, tmp_path: Path
) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    server.cli("init", "--email", "me@example.com", "--password-stdin", password=PASSWORD)
    report = tmp_path / "impact-feb.csv"
    report.write_text(REPORT, encoding="utf-8")

    page.goto(server.url + "/")
    page.get_by_label("Email").fill("me@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Areas").get_by_role("link", name="Networks").click()
    expect(page.get_by_role("heading", name="Your affiliate income")).to_be_visible()
    page.get_by_label("Name").fill("Impact")
    page.get_by_role("button", name="Add network").click()
    expect(page.locator("#postback-url")).to_contain_text("/postback?secret=")
    page.get_by_role("link", name="Set up Impact").click()
    expect(page.get_by_role("heading", name="Impact", exact=True)).to_be_visible()

    postback = page.locator("#postback-mapping")
    postback.get_by_label("Words meaning approved").fill("approved, paid, confirmed")
    postback.get_by_role("button", name="Save postback mapping").click()
    expect(page.get_by_role("status")).to_contain_text("Postback mapping saved")

    columns = page.locator("#report-mapping")
    for label, header in (
        ("Order ID", "Transaction"), ("Click ID (sub-ID)", "Our ref"),
        ("Sale amount", "Sale total"), ("Commission", "Payout"), ("Status", "State"),
        ("Date", "Booked"),
    ):  # fmt: skip
        columns.get_by_label(label, exact=True).fill(header)
    columns.get_by_label("Currency", exact=True).fill("")
    columns.get_by_role("button", name="Save report columns").click()
    expect(page.get_by_role("status")).to_contain_text("Report columns saved")

    page.locator("#report-upload input[type=file]").set_input_files(str(report))
    page.get_by_role("button", name="Import report").click()
    expect(page.locator("#import-result")).to_contain_text(
        "Imported impact-feb.csv: 1 created, 0 updated, 0 unchanged; 1 matched no click"
    )
    row = page.locator("#earnings tbody tr").filter(has_text="TX-900")
    expect(row).to_contain_text("2026-02-14")
    expect(row).to_contain_text("approved")
    expect(row).to_contain_text("250.00")
    expect(row).to_contain_text("18.75 USD")
    expect(row).to_contain_text("no match")
    # The approved commission was posted to the ledger, in a stream made for the network.
    expect(page.locator("#network-stream")).to_have_text("Impact")
    stream = page.locator("#network-stream-form")
    stream.get_by_label("Stream").select_option(label="Impact")
    stream.get_by_role("button", name="Save stream").click()
    expect(page.get_by_role("status")).to_contain_text("Stream saved")
    page.screenshot(path=str(ARTIFACTS / "partners-network.png"), full_page=True)

    page.get_by_role("link", name="Webhooks").click()
    expect(page.get_by_role("heading", name="Webhooks")).to_be_visible()
    expect(page.get_by_text("No endpoints yet.")).to_be_visible()
