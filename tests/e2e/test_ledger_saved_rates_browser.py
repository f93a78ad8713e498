"""A stream saved before its own rates had to leave it a value (required return 0, persistence 1)
opens in real Chromium: the page shows the stream, says which saved rate to fix and links to the
form holding it; saving a fixed persistence values the stream again. At 390 px and 1280 px."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from evergreen.db import Database
from tests.e2e.conftest import Server, SignIn

pytestmark = pytest.mark.browser
PASSWORD = "a long enough passphrase"
OWNER = "owner@example.com"


def _old_stream(server: Server) -> str:
    """A blog with this month's income and the rates an earlier version let it save."""
    first = datetime.now(UTC).date().replace(day=1).isoformat()
    server.cli("init", "--email", OWNER, "--password-stdin", password=PASSWORD)
    server.cli("streams", "add", "Blog", "--kind", "affiliate", "--hourly-rate", "40",
               "--required-return", "0.1", "--started", "2025-01-01")  # fmt: skip
    server.cli("ledger", "add", "--stream", "Blog", "--date", first, "--amount", "812.40",
               "--type", "income", "--memo", "Impact payout")  # fmt: skip
    database = Database(f"sqlite:///{server.data_dir / 'evergreen.db'}")
    with database.session() as session:  # past the rule, as the earlier version wrote it
        session.execute(text("UPDATE streams SET required_return = 0, persistence = 1"))
    database.dispose()
    return "/ledger/streams/1"


@pytest.mark.parametrize("width", [1280, 390])
def test_the_page_opens_and_leads_to_the_rate_to_fix(
    server: Server, signed_in: SignIn, width: int
) -> None:
    from playwright.sync_api import expect

    path = _old_stream(server)
    owner = signed_in(server, width, OWNER, PASSWORD, "ledger-saved-rates")
    page = owner.page

    page.goto(server.url + path)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Blog")
    expect(page.locator("#figure-income .number")).to_have_text("812.40")
    problem = page.locator("#saved-rates-problem")
    expect(problem).to_contain_text("saved persistence 1 with a required return of 0")
    owner.fits("problem")

    problem.get_by_role("link").click()
    field = page.locator("#rates-form").get_by_label("Persistence ω")
    expect(field).to_have_attribute("aria-invalid", "true")
    field.fill("0.6")
    page.locator("#rates-form").get_by_role("button", name="Save rates").click()
    expect(page.get_by_role("status")).to_contain_text("rates saved")
    expect(page.locator("#saved-rates-problem")).to_have_count(0)
    expect(page.locator("#value-figure")).to_be_visible()
    owner.fits("fixed")
    assert not owner.problems, "\n".join(owner.problems)
