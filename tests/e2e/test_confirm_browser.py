"""Irreversible buttons ask first, without JavaScript: revoke a token, suspend a partner."""

from __future__ import annotations

import json
import re
import urllib.request

import pytest

from tests.e2e.conftest import ARTIFACTS, Server

pytestmark = pytest.mark.browser
PASSWORD = "a long enough passphrase"
OWNER = "owner@example.com"


def _partner(server: Server) -> None:
    found = re.search(r"evg_\S+", server.cli("token", "create", "--email", OWNER))
    assert found, "no token printed"
    request = urllib.request.Request(
        server.url + "/api/v1/partners",
        data=json.dumps({"name": "Ana", "email": "ana@blog.example", "status": "active"}).encode(),
        headers={"Authorization": f"Bearer {found.group(0)}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201


@pytest.mark.parametrize("width", [390, 1280])
def test_revoke_and_suspend_ask_first_and_cancel_changes_nothing(
    server: Server, page: object, width: int
) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    page.set_viewport_size({"width": width, "height": 800})
    server.cli("init", "--email", OWNER, "--password-stdin", password=PASSWORD)
    _partner(server)
    page.goto(server.url + "/account/tokens")
    page.get_by_label("Email").fill(OWNER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Name").fill("reporting")
    page.get_by_role("button", name="Create token").click()
    row = page.get_by_role("row").filter(has_text="reporting")

    row.get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("heading", name="Revoke the API token “reporting”?")).to_be_visible()
    expect(page.get_by_text("stop working at once")).to_be_visible()
    confirm = page.get_by_role("button", name="Revoke token")
    expect(confirm).to_be_visible()
    box = confirm.bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= width  # reachable without scrolling sideways
    page.screenshot(path=str(ARTIFACTS / f"confirm-revoke-{width}.png"), full_page=True)
    page.get_by_role("link", name="Cancel").click()
    expect(row.get_by_role("cell", name="active")).to_be_visible()

    row.get_by_role("button", name="Revoke").click()
    page.get_by_role("button", name="Revoke token").click()
    expect(page).to_have_url(re.compile(r"/account/tokens$"))
    expect(row.get_by_role("cell", name="revoked")).to_be_visible()

    page.goto(server.url + "/partners")
    page.get_by_role("button", name="Suspend Ana").click()
    expect(page.get_by_role("heading", name="Suspend Ana?")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / f"confirm-suspend-{width}.png"), full_page=True)
    page.get_by_role("button", name="Suspend partner").click()
    expect(page.get_by_role("status")).to_contain_text("Partner suspended")
    assert server.stop() == 0
