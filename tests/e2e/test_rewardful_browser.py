"""A partner in Chromium sees their referral link, coupon codes, why a commission is held and
their payout's details, on a phone (390 px) and a laptop (1280 px); the owner sees the payout."""

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
WIDTHS = (390, 1280)


def _call(server: Server, token: str, method: str, path: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        server.url + "/api/v1" + path,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method=method,
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status in (200, 201), path
        return json.loads(response.read())


def _program(server: Server) -> int:
    """Owner, settings, terms, a partner with a referral link and coupon, a paid-out sale and
    a held one; returns the payout's id."""
    server.cli("init", "--email", OWNER, "--password-stdin", password=PASSWORD)
    server.cli(
        "user", "create", "--role", "partner", "--email", PARTNER, "--password-stdin",
        password=PASSWORD,
    )  # fmt: skip
    found = re.search(r"evg_\S+", server.cli("token", "create", "--email", OWNER))
    assert found, "no token printed"
    token = found.group(0)
    settings = {"landing_url": "https://shop.example/", "payout_threshold": "10", "holding_days": 0}
    _call(server, token, "PATCH", "/partners/settings", settings)
    _call(server, token, "POST", "/partners/terms", {"kind": "percent", "rate": "25"})
    partner = _call(
        server, token, "POST", "/partners",
        {"name": "Pat Jones", "email": PARTNER, "status": "active"},
    )  # fmt: skip
    assert [link["slug"] for link in partner["links"]] == ["pat-jones"]
    _call(server, token, "POST", f"/partners/{partner['id']}/coupons", {"code": "PAT20"})
    for key, email in (("order-1", ""), ("order-2", PARTNER)):  # the second is a self-referral
        sale = {
            "idempotency_key": key, "event": "sale", "amount": "80.00", "currency": "USD",
            "customer_id": key, "coupon": "PAT20", "customer_email": email,
        }  # fmt: skip
        _call(server, token, "POST", "/partners/conversions", sale)
    assert "Approved 1 commission." in server.cli("partners", "approve-due")
    payout: int = _call(server, token, "POST", "/partners/payouts", {})["payout"]
    return payout


def _fits(page: Any, where: str) -> None:
    """Nothing is wider than the window: no sideways scrolling of the whole page."""
    wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert wide <= 0, f"{where} is {wide} px wider than the window"


def test_partner_sees_coupons_hold_reason_and_payout_detail(server: Server, page: object) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    payout = _program(server)

    page.goto(server.url + "/")
    page.get_by_label("Email").fill(PARTNER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Hello, Pat Jones")).to_be_visible()

    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 844 if width == 390 else 800})
        page.goto(server.url + "/portal")
        expect(page.locator(".portal-coupons")).to_contain_text("PAT20")
        _fits(page, f"overview at {width}")

        page.get_by_role("link", name="Links", exact=True).click()
        expect(page.get_by_role("heading", name="Your coupon codes")).to_be_visible()
        expect(page.locator("code.coupon")).to_have_text("PAT20")
        expect(page.get_by_text("/pat-jones").first).to_be_visible()  # the referral link
        _fits(page, f"links at {width}")
        page.screenshot(path=str(ARTIFACTS / f"portal-coupons-{width}.png"), full_page=True)

        page.get_by_role("link", name="Commissions").click()
        held = page.get_by_role("row").filter(has_text="on hold")
        expect(held.locator(".status-note")).to_contain_text(
            "On hold: Self-referral: the customer's email address is the partner's own."
        )
        _fits(page, f"commissions at {width}")
        page.screenshot(path=str(ARTIFACTS / f"portal-hold-reason-{width}.png"), full_page=True)

        page.get_by_role("link", name="Payouts").click()
        page.get_by_role("link", name=f"#{payout}").click()
        expect(page.get_by_role("heading", name=f"Payout #{payout}")).to_be_visible()
        expect(page.locator(".payout-amount")).to_have_text("20.00 USD")
        expect(page.locator("#payout-status")).to_have_text("being paid")
        expect(page.get_by_text(f"evergreen-payout-{payout}-partner-")).to_be_visible()
        _fits(page, f"payout detail at {width}")
        page.screenshot(path=str(ARTIFACTS / f"portal-payout-{width}.png"), full_page=True)

    page.get_by_role("button", name="Sign out").click()
    page.set_viewport_size({"width": 1280, "height": 800})
    page.get_by_label("Email").fill(OWNER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(server.url + "/partners/payouts")
    page.get_by_role("link", name=f"#{payout}").click()
    expect(page.locator("#payout-total")).to_have_text("20.00 USD")
    expect(page.get_by_role("row").filter(has_text="Pat Jones").first).to_contain_text("PayPal")
    expect(page.get_by_role("link", name="Commissions CSV")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "owner-payout-1280.png"), full_page=True)
