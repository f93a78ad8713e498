"""The owner lends in the browser on a real server: a borrower, a property and a loan through
the forms, a draw approved and funded once confirmed, a payment asked about and recorded; the
book shows the figures and the exposure chart; the pages fit a phone (390 px) and a laptop."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import ARTIFACTS, MEASURE, Server

pytestmark = pytest.mark.browser
PASSWORD = "a long enough passphrase"


def test_owner_writes_and_services_a_loan_and_reads_the_book(server: Server, page: object) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    server.cli("init", "--email", "me@example.com", "--password-stdin", password=PASSWORD)
    page.goto(server.url + "/")
    page.get_by_label("Email").fill("me@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Areas").get_by_role("link", name="Lending").click()
    expect(page.get_by_role("heading", name="Lending", exact=True)).to_be_visible()

    page.get_by_role("navigation", name="Lending").get_by_role("link", name="Borrowers").click()
    form = page.locator("#borrower-form")
    form.get_by_label("Name").fill("Rehab Co")
    form.get_by_label("Kind").select_option("llc")
    form.get_by_label("Email").fill("ops@rehab.example")
    form.get_by_role("button", name="Add borrower").click()
    expect(page.locator("#borrowers")).to_contain_text("Rehab Co")

    page.get_by_role("navigation", name="Lending").get_by_role("link", name="Properties").click()
    form = page.locator("#property-form")
    form.get_by_label("Address").fill("3 Pine Rd")
    form.get_by_label("Purchase price").fill("120000")
    form.get_by_label("Rehab budget").fill("40000")
    form.get_by_label("After-repair value").fill("250000")
    form.get_by_role("button", name="Add property").click()
    expect(page.locator("#properties")).to_contain_text("250,000.00")

    page.get_by_role("navigation", name="Lending").get_by_role("link", name="New loan").click()
    form = page.locator("#loan-form")
    form.get_by_label("Property").select_option(label="3 Pine Rd")
    form.get_by_label("Principal", exact=True).fill("120000")
    form.get_by_label("Annual rate").fill("lots")
    form.get_by_label("Start", exact=True).fill("2026-01-01")
    form.get_by_label("Draw commitment").fill("40000")
    form.get_by_role("button", name="Write loan").click()
    expect(page.locator("#loan-error")).to_contain_text("annual rate:")
    page.locator("#loan-form").get_by_label("Annual rate").fill("11%")
    page.locator("#loan-form").get_by_role("button", name="Write loan").click()
    expect(page.get_by_role("status")).to_contain_text("Loan written and funded")
    expect(page.locator("#ltv")).to_have_text("64.0 %")
    loan_url = page.url.split("?")[0]

    page.goto(loan_url + "?as_of=2026-01-20")
    draw = page.locator("#draw-form")
    draw.get_by_label("Amount").fill("10000")
    draw.get_by_role("button", name="Request draw").click()
    expect(page.get_by_role("status")).to_contain_text("Draw requested.")
    page.goto(loan_url + "?as_of=2026-01-21")
    page.locator("#draws").get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status")).to_contain_text("Draw approved.")
    page.goto(loan_url + "?as_of=2026-01-21")
    page.locator("#draws").get_by_role("button", name="Fund").click()
    expect(page.get_by_role("heading", name="Fund draw")).to_be_visible()
    page.get_by_role("button", name="Fund draw").click()
    expect(page.get_by_role("status")).to_contain_text("Draw funded.")

    page.goto(loan_url + "?as_of=2026-02-01")
    pay = page.locator("#payment-form")
    # 30/360: Jan 1-21 on 120,000 at 11 % = 733.33, Jan 21-Feb 1 on 130,000 = 397.22.
    pay.get_by_label("Amount").fill("1130.55")
    pay.get_by_role("button", name="Record payment").click()
    page.get_by_role("button", name="Record payment").click()  # the confirmation's button
    expect(page.get_by_role("status")).to_contain_text("Payment recorded")
    expect(page.locator("#movements")).to_contain_text("1,130.55")
    # Viewed on Feb 1, each draw step keeps the day it happened.
    expect(page.locator("#draws .draw-step")).to_have_text(["approved 2026-01-21",
                                                            "funded 2026-01-21"])  # fmt: skip

    page.goto(server.url + "/lending?as_of=2026-02-01")
    expect(page.locator("#figure-deployed")).to_contain_text("130,000.00")
    expect(page.locator("#bucket-current")).to_have_text("1")
    expect(page.locator("#exposure-chart")).to_be_visible()
    expect(page.locator("#exposure-chart .legend")).to_contain_text("Past due")

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for name, url in (("book", "/lending?as_of=2026-02-01"), ("loan", loan_url[len(server.url):]),
                      ("borrowers", "/lending/borrowers")):  # fmt: skip
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 844})
            page.goto(server.url + url)
            seen = page.evaluate(MEASURE)
            page.screenshot(path=str(ARTIFACTS / f"lending-{name}-{width}.png"), full_page=True)
            assert seen["scroll"] <= seen["width"], f"{name} {width}px: {seen['wide']}"
            assert not seen["overlap"], f"{name} {width}px"
            assert not seen["covered"], f"{name} {width}px"
