"""A stream's page in real Chromium against `evergreen serve`: the clicks of the stream's link,
made through the live redirect, appear beside its income with income per click; at 390 px and
1280 px, with screenshots."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.e2e.conftest import Server, SignIn

pytestmark = pytest.mark.browser
PASSWORD = "a long enough passphrase"
OWNER = "owner@example.com"
STREAM = "Desk reviews"


class _Keep(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _click(server: Server, slug: str, index: int) -> None:
    """A visitor's click on the short link, answered with its redirect (not followed)."""
    request = urllib.request.Request(
        f"{server.url}/go/{slug}",
        headers={"User-Agent": f"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, "
                               f"like Gecko) Chrome/120.0.0.{index} Safari/537.36"},
    )  # fmt: skip
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.build_opener(_Keep).open(request, timeout=10).close()
    with answer.value:
        assert answer.value.code == 302


def _seed(server: Server) -> str:
    """A stream with 60.00 of income this month and a link in it clicked by 3 visitors."""
    first = datetime.now(UTC).date().replace(day=1).isoformat()
    server.cli("init", "--email", OWNER, "--password-stdin", password=PASSWORD)
    server.cli("streams", "add", STREAM, "--kind", "affiliate", "--hourly-rate", "40",
               "--required-return", "0.1", "--started", "2025-01-01")  # fmt: skip
    server.cli("ledger", "add", "--stream", STREAM, "--date", first, "--amount", "60",
               "--type", "income", "--memo", "Commissions")  # fmt: skip
    found = re.search(r"evg_\S+", server.cli("token", "create", "--email", OWNER))
    assert found, "no token printed"
    request = urllib.request.Request(
        server.url + "/api/v1/links",
        data=json.dumps({"destination": "https://shop.example/desk", "slug": "desk",
                         "stream_id": 1}).encode(),
        headers={"Authorization": f"Bearer {found.group(0)}",
                 "Content-Type": "application/json"},
        method="POST",
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201
    for index in range(3):
        _click(server, "desk", index)
    server.cli("links", "ingest")
    return "/ledger/streams/1"


@pytest.mark.parametrize("width", [1280, 390])
def test_a_streams_clicks_show_beside_its_income(
    server: Server, signed_in: SignIn, width: int
) -> None:
    from playwright.sync_api import expect

    path = _seed(server)
    owner = signed_in(server, width, OWNER, PASSWORD, "ledger-stream")
    page = owner.page

    page.goto(server.url + path)
    expect(page.get_by_role("heading", level=1)).to_contain_text(STREAM)
    expect(page.locator("#figure-clicks .number")).to_have_text("3")
    expect(page.locator("#figure-epc .number")).to_have_text("20.00")
    expect(page.locator("#figure-epc .hint")).to_have_text("20,000.00 per 1,000 clicks")
    this_month = page.locator("#history-table tbody tr").first
    expect(this_month.locator(".month-clicks")).to_have_text("3")
    owner.fits("clicks")
    assert not owner.problems, "\n".join(owner.problems)
