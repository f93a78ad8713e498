"""The owner runs the affiliate program in the browser: adds and approves a partner, sets terms."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import ARTIFACTS, Server

pytestmark = pytest.mark.browser
PASSWORD = "a long enough passphrase"


def _init_owner(server: Server) -> None:
    server.cli("init", "--email", "me@example.com", "--password-stdin", password=PASSWORD)


def test_add_and_approve_a_partner_then_set_terms(server: Server, page: object) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    _init_owner(server)

    page.goto(server.url + "/")
    page.get_by_label("Email").fill("me@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Areas").get_by_role("link", name="Partners").click()
    expect(page.get_by_role("heading", name="Partners", exact=True)).to_be_visible()
    expect(page.get_by_text("No partners yet")).to_be_visible()

    page.get_by_label("Name").fill("Ana <Affiliates>")
    page.locator("input[name=email]").fill("ana@example.com")
    page.locator("input[name=group]").fill("vip")
    page.get_by_role("button", name="Add partner").click()
    expect(page.get_by_role("status")).to_contain_text("Partner added.")
    row = page.get_by_role("row").filter(has_text="ana@example.com")
    expect(row).to_contain_text("pending")

    row.get_by_role("button", name="Approve Ana <Affiliates>").click()
    expect(page.get_by_role("status")).to_contain_text("Partner approved")
    expect(page.get_by_role("row").filter(has_text="ana@example.com")).to_contain_text("active")

    page.get_by_role("link", name="Terms").click()
    expect(page.get_by_text("keep the terms they were attributed under")).to_be_visible()
    page.locator("input[name=group]").fill("vip")
    page.locator("input[name=rate]").fill("30")
    page.locator("select[name=duration]").select_option("months")
    page.locator("input[name=duration_count]").fill("12")
    page.get_by_role("button", name="Add terms").click()
    expect(page.get_by_role("status")).to_contain_text("Version 1 saved")
    expect(page.get_by_role("row").filter(has_text="vip")).to_contain_text("months (12)")
    page.screenshot(path=str(ARTIFACTS / "partners-terms.png"), full_page=True)

    page.get_by_role("link", name="Partners", exact=True).last.click()
    page.get_by_role("link", name="Ana <Affiliates>").click()
    expect(page.get_by_role("heading", name="Ana <Affiliates>")).to_be_visible()
    page.goto(server.url + "/partners")
    page.screenshot(path=str(ARTIFACTS / "partners.png"), full_page=True)
