"""A person installs Evergreen, sets it up, signs in and out, in real headless Chromium."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import ARTIFACTS, Server

pytestmark = pytest.mark.browser
PASSWORD = "a long enough passphrase"


@pytest.fixture
def server(server_process: Server) -> Server:
    """The real `evergreen serve`: this test reads what the process itself prints or records."""
    return server_process


def test_first_run_setup_sign_in_dashboard_sign_out(server: Server, page: object) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    setup_url = server.wait_for_line(r"First run: create the owner account at (\S+)").group(1)

    page.goto(server.url)
    expect(page).to_have_url(re.compile(r"/setup$"))
    expect(page.get_by_role("alert")).to_contain_text("setup link is missing its token")

    page.goto(setup_url)
    page.get_by_label("Email").fill("owner@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create owner and sign in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    page.get_by_label("Email").fill("owner@example.com")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Email or password is incorrect.")

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_role("navigation", name="Areas")).to_contain_text("Links")
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Settings")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto(server.url + "/settings")
    expect(page).to_have_url(re.compile(r"/login\?next=/settings$"))

    assert server.stop() == 0
    assert "Evergreen stopped." in "".join(server.lines)


def test_owner_from_init_signs_in_and_creates_an_api_token(server: Server, page: object) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    server.cli("init", "--email", "me@example.com", "--password-stdin", password=PASSWORD)

    page.goto(server.url + "/account/tokens")
    page.get_by_label("Email").fill("me@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="API tokens")).to_be_visible()
    page.get_by_label("Name").fill("reporting")
    page.get_by_role("button", name="Create token").click()
    token = page.locator("#new-token").inner_text()
    assert token.startswith("evg_")
    expect(page.get_by_role("cell", name="reporting")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "tokens.png"), full_page=True)

    response = page.request.get(
        server.url + "/api/v1/me", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status == 200
    assert response.json()["email"] == "me@example.com"
    assert server.stop() == 0
