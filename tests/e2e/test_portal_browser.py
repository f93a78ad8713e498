"""A partner signs in with Chromium, sees their commission and makes a sub-ID'd link."""

from __future__ import annotations

import json
import re
import urllib.request
from typing import Any

import pytest

from tests.e2e.conftest import ARTIFACTS, Server

pytestmark = pytest.mark.browser
PASSWORD = "a long enough passphrase"
OWNER = "owner@example.com"
PARTNER = "pat@partner.example"


def _post(server: Server, token: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        server.url + "/api/v1" + path,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status in (200, 201), path
        answer: dict[str, Any] = json.loads(response.read())
        return answer


def _program(server: Server) -> None:
    """The owner, a partner account, and through the API: terms, partner, link, coupon, sale."""
    server.cli("init", "--email", OWNER, "--password-stdin", password=PASSWORD)
    server.cli(
        "user", "create", "--role", "partner", "--email", PARTNER, "--password-stdin",
        password=PASSWORD,
    )  # fmt: skip
    found = re.search(r"evg_\S+", server.cli("token", "create", "--email", OWNER))
    assert found, "no token printed"
    token = found.group(0)
    _post(server, token, "/partners/terms", {"kind": "percent", "rate": "25"})
    partner = _post(
        server, token, "/partners", {"name": "Pat Jones", "email": PARTNER, "status": "active"}
    )
    _post(server, token, "/links", {"destination": "https://shop.example/", "slug": "pat-blog"})
    _post(server, token, f"/partners/{partner['id']}/links", {"slug": "pat-blog"})
    _post(server, token, f"/partners/{partner['id']}/coupons", {"code": "PAT20"})
    sale = {
        "idempotency_key": "order-1", "event": "sale", "amount": "80.00", "currency": "USD",
        "customer_id": "cus_1", "coupon": "PAT20",
    }  # fmt: skip
    assert _post(server, token, "/partners/conversions", sale)["commissions"]


def test_partner_sees_commission_and_makes_a_sub_id_link(server: Server, page: object) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    _program(server)

    page.goto(server.url + "/")
    page.get_by_label("Email").fill(PARTNER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Hello, Pat Jones")).to_be_visible()
    assert page.url.endswith("/portal")
    expect(page.get_by_text("20.00 USD").first).to_be_visible()  # 25 % of 80.00, unpaid
    page.screenshot(path=str(ARTIFACTS / "portal.png"), full_page=True)

    page.get_by_role("link", name="Commissions").click()
    expect(page.get_by_role("cell", name="20.00 USD")).to_be_visible()

    page.get_by_role("link", name="Links", exact=True).click()
    expect(page.get_by_text("/pat-blog").first).to_be_visible()
    page.get_by_label("Sub-ID").fill("youtube")
    page.get_by_role("button", name="Make link").click()
    expect(page.locator("#sub-url")).to_have_text(re.compile(r"/pat-blog\?sub1=youtube$"))
    page.screenshot(path=str(ARTIFACTS / "portal-links.png"), full_page=True)

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
