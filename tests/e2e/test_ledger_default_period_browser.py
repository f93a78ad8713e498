"""A new owner opens the dashboard a week into a month: the streams' figures are the trailing
12 months by default (this month alone showed next to nothing), the same on a stream's own
page, and "This month" is one choice away; at 1280 px and 390 px."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.inprocess import InProcessServer

pytestmark = pytest.mark.browser
PASSWORD = "a long enough passphrase"
OWNER = "owner@example.com"


def test_the_dashboard_opens_on_the_trailing_twelve_months(
    server: InProcessServer, page: object
) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    today = datetime.now(UTC).date()
    year_ago, earlier = today - timedelta(days=364), today - timedelta(days=40)
    server.cli("init", "--email", OWNER, "--password-stdin", password=PASSWORD)
    server.cli("streams", "add", "Blog", "--kind", "affiliate", "--started", str(year_ago))
    for day, amount in ((earlier, "900"), (today, "100")):
        server.cli("ledger", "add", "--stream", "Blog", "--date", str(day), "--amount", amount,
                   "--type", "income")  # fmt: skip
    server.cli("hours", "add", "--stream", "Blog", "--date", str(earlier), "--hours", "4")
    page.goto(server.url + "/")
    page.get_by_label("Email").fill(OWNER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Hourly rate").fill("50")
    page.get_by_label("Required return").fill("0.10")
    page.get_by_role("button", name="Save rates").click()

    heading = page.locator("#business-heading")
    expect(heading).to_contain_text("Trailing 12 months")
    expect(heading).to_contain_text(f"{year_ago} to {today}")
    expect(page.locator("#period-choice")).to_have_value("trailing_12_months")
    blog = page.locator("#streams tr", has=page.get_by_role("rowheader", name="Blog"))
    expect(blog.locator('[data-figure="income"]')).to_have_text("1,000.00")
    expect(blog.locator('[data-figure="residual_income"]')).to_have_text("800.00")  # less 4 h x 50
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(ARTIFACTS / f"ledger-home-default-{width}.png"), full_page=True)
        assert page.evaluate("document.scrollingElement.scrollWidth") <= width
    page.set_viewport_size({"width": 1280, "height": 900})

    page.locator("#period-choice").select_option("this_month")
    page.get_by_role("button", name="Show").click()
    expect(heading).to_contain_text("This month")
    expect(blog.locator('[data-figure="income"]')).to_have_text("100.00")

    page.goto(server.url + "/ledger/streams")  # a stream's page opened without a period
    page.get_by_role("link", name="Blog").click()
    expect(page.locator("#figure-income .number")).to_have_text("1,000.00")
    expect(page.locator("main")).to_contain_text(f"{year_ago} to {today}")
