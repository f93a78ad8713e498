"""Passwords in real Chromium: change your own from the Account link; the owner's reset link."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import ARTIFACTS, Server

pytestmark = pytest.mark.browser
PASSWORD = "a long enough passphrase"
NEW = "another long passphrase"
OWNER = "owner@example.com"
STAFF = "sam@example.com"


def _sign_in(page: object, url: str, email: str, password: str) -> None:
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    page.goto(url + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_changing_the_password_signs_the_other_browser_out(server: Server, page: object) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    server.cli("init", "--email", OWNER, "--password-stdin", password=PASSWORD)
    other = page.context.browser.new_context()  # type: ignore[union-attr]
    try:
        elsewhere = other.new_page()
        _sign_in(elsewhere, server.url, OWNER, PASSWORD)
        expect(elsewhere.get_by_role("heading", name="Dashboard")).to_be_visible()

        _sign_in(page, server.url, OWNER, PASSWORD)
        page.get_by_role("link", name="Account").click()
        expect(page.get_by_role("heading", name="Account")).to_be_visible()
        page.get_by_label("Current password").fill("not my password")
        page.get_by_label("New password", exact=True).fill(NEW)
        page.get_by_label("New password again").fill(NEW)
        page.get_by_role("button", name="Change password").click()
        expect(page.get_by_role("alert")).to_have_text("The current password is not right.")

        page.get_by_label("Current password").fill(PASSWORD)
        page.get_by_label("New password", exact=True).fill(NEW)
        page.get_by_label("New password again").fill(NEW)
        page.get_by_role("button", name="Change password").click()
        expect(page.get_by_role("status")).to_contain_text("Password changed")
        page.screenshot(path=str(ARTIFACTS / "account-password.png"), full_page=True)

        elsewhere.reload()
        expect(elsewhere.get_by_role("heading", name="Sign in")).to_be_visible()
        page.goto(server.url + "/")
        expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()  # still signed in
    finally:
        other.close()
    page.get_by_role("button", name="Sign out").click()
    _sign_in(page, server.url, OWNER, NEW)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    assert server.stop() == 0


@pytest.mark.parametrize("width", [390, 1280])
def test_the_owner_makes_a_reset_link_and_it_works_once(
    server: Server, page: object, width: int
) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    page.set_viewport_size({"width": width, "height": 800})
    server.cli("init", "--email", OWNER, "--password-stdin", password=PASSWORD)
    server.cli("user", "create", "--role", "staff", "--email", STAFF, "--password-stdin",
               password=PASSWORD)  # fmt: skip
    _sign_in(page, server.url, OWNER, PASSWORD)
    page.goto(server.url + "/settings")
    page.get_by_role("button", name=f"Reset the password of {STAFF}").click()
    expect(
        page.get_by_role("heading", name=f"Make a password-reset link for {STAFF}?")
    ).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / f"reset-confirm-{width}.png"), full_page=True)
    page.get_by_role("link", name="Cancel").click()
    expect(page.get_by_role("heading", name="Settings")).to_be_visible()
    expect(page.locator("#reset-url")).to_have_count(0)

    page.get_by_role("button", name=f"Reset the password of {STAFF}").click()
    page.get_by_role("button", name="Make reset link").click()
    shown = page.locator("#reset-url").inner_text()
    assert "/account/reset?token=" in shown
    # Opened on the server's own address (the base URL it shows is another item's concern).
    link = server.url + "/account/reset?token=" + shown.split("token=", 1)[1]
    page.screenshot(path=str(ARTIFACTS / f"reset-link-{width}.png"), full_page=True)
    page.get_by_role("button", name="Sign out").click()

    page.goto(link)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    page.get_by_label("New password", exact=True).fill(NEW)
    page.get_by_label("New password again").fill(NEW + "!")
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("alert")).to_contain_text("The two passwords differ")
    page.get_by_label("New password", exact=True).fill(NEW)
    page.get_by_label("New password again").fill(NEW)
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("heading", name="Password set")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / f"reset-done-{width}.png"), full_page=True)

    page.goto(link)
    expect(page.get_by_role("heading", name="This link cannot be used")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("This link was already used.")
    page.screenshot(path=str(ARTIFACTS / f"reset-used-{width}.png"), full_page=True)
    _sign_in(page, server.url, STAFF, NEW)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    assert server.stop() == 0
