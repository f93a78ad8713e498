"""A stream's page in real Chromium against `evergreen serve`: open a stream, click its income
and see the entries behind it, add a cost and watch residual income fall, reverse the cost
through its confirmation and see it restored; at 390 px and 1280 px, with screenshots."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from tests.e2e.conftest import Server, SignIn

pytestmark = pytest.mark.browser
PASSWORD = "a long enough passphrase"
OWNER = "owner@example.com"


def _seed(server: Server) -> str:
    """An owner and a blog with this month's income, hours and capital; the blog's address."""
    today = datetime.now(UTC).date()
    first = today.replace(day=1).isoformat()
    server.cli("init", "--email", OWNER, "--password-stdin", password=PASSWORD)
    server.cli("streams", "add", "Blog about standing desks for very small apartments",
               "--kind", "affiliate", "--hourly-rate", "40", "--required-return", "0.1",
               "--started", "2025-01-01")  # fmt: skip
    name = "Blog about standing desks for very small apartments"
    for amount, memo in (("812.40", "Impact payout"), ("149.50", "Royalties")):
        server.cli("ledger", "add", "--stream", name, "--date", first, "--amount", amount,
                   "--type", "income", "--memo", memo)  # fmt: skip
    server.cli("ledger", "add", "--stream", name, "--date", first, "--amount", "35.25",
               "--type", "cost", "--memo", "Hosting")  # fmt: skip
    server.cli("hours", "add", "--stream", name, "--date", first, "--hours", "3.5")
    server.cli("capital", "add", "--stream", name, "--date", "2025-01-01", "--amount", "6000")
    return "/ledger/streams/1"


def _number(page: Any, selector: str) -> Decimal:
    return Decimal(page.locator(f"{selector} .number").inner_text().replace(",", ""))


@pytest.mark.parametrize("width", [1280, 390])
def test_click_a_figure_add_a_cost_and_reverse_it(
    server: Server, signed_in: SignIn, width: int
) -> None:
    from playwright.sync_api import expect

    path = _seed(server)
    owner = signed_in(server, width, OWNER, PASSWORD, "ledger-stream")
    page = owner.page

    page.goto(server.url + path + "?period=this_month")  # beside this month's history row
    expect(page.get_by_role("heading", level=1)).to_contain_text("standing desks")
    assert _number(page, "#figure-income") == Decimal("961.90")
    ri_before = _number(page, "#figure-ri")
    assert page.locator("#value-bridge svg").is_visible()
    assert page.locator("#history-table svg.sparkline").count() == 6
    # This month's row of the history is its days so far, as the figures above are: the
    # capital in the blog is not charged for the days still to come.
    this_month = page.locator("#history-table tbody tr").first
    assert (
        this_month.locator("td").last.inner_text()
        == page.locator("#figure-ri .number").inner_text()
    )
    owner.fits("page")

    page.locator("#figure-income").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Income of")
    rows = page.locator("#entries tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#entries")).to_contain_text("Impact payout")
    assert page.locator("#listed-sum").inner_text() == "961.90"
    owner.fits("income-entries")

    page.locator("#back-to-stream").click()
    form = page.locator("#cost-form")
    form.get_by_label("Amount").fill("123.45")
    form.get_by_label("Memo").fill("Ads test")
    form.get_by_role("button", name="Add cost").click()
    expect(page.get_by_role("status")).to_contain_text("Cost added")
    assert _number(page, "#figure-costs") == Decimal("158.70")
    assert _number(page, "#figure-ri") == ri_before - Decimal("123.45")
    owner.fits("cost-added")

    page.locator("#figure-costs").click()
    row = page.locator("#entries tbody tr", has_text="Ads test")
    row.get_by_role("button", name="Reverse").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Reverse transaction")
    expect(page.locator("main")).to_contain_text("Ads test")
    owner.fits("confirm-reverse")
    page.get_by_role("button", name="Reverse transaction").click()
    expect(page.get_by_role("status")).to_contain_text("Transaction reversed")
    assert _number(page, "#figure-costs") == Decimal("35.25")
    assert _number(page, "#figure-ri") == ri_before
    owner.fits("reversed")

    page.locator("#figure-costs").click()
    expect(page.locator("#entries")).to_contain_text("reversed by #")
    assert page.locator("#listed-sum").inner_text() == "35.25"
    assert not owner.problems, "\n".join(owner.problems)
