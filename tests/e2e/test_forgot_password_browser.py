"""Forgot your password, end to end in real Chromium against `evergreen serve`: ask on the
sign-in page, the link arrives at a real SMTP server (aiosmtpd), following it sets a new
password, and that password signs in. Screenshots at 390 and 1280 px."""

from __future__ import annotations

import email
import re
import time

import pytest

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.inprocess import serve_here
from tests.mail.smtp_server import smtp_env, smtp_server

pytestmark = pytest.mark.browser
PASSWORD = "a long enough passphrase"
NEW = "a brand new passphrase"
OWNER = "owner@example.com"
STAFF = "sam@example.com"


def _shoot(page: object, name: str) -> None:
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 800})  # type: ignore[attr-defined]
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # type: ignore[attr-defined]
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)  # type: ignore[attr-defined]
    page.set_viewport_size({"width": 1280, "height": 800})  # type: ignore[attr-defined]


def test_forgot_password_mail_link_new_password_sign_in(tmp_path: object, page: object) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    data_dir = tmp_path / "data"  # type: ignore[operator]
    with smtp_server() as (handler, port):
        server = serve_here(
            data_dir,
            smtp_env(port, "accounts@shop.example"),
        )
        try:
            server.cli("init", "--email", OWNER, "--password-stdin", password=PASSWORD)
            server.cli(
                "user", "create", "--role", "staff", "--email", STAFF, "--password-stdin",
                password=PASSWORD,
            )  # fmt: skip
            page.goto(server.url + "/login")
            page.get_by_role("link", name="Forgot your password?").click()
            expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()
            _shoot(page, "forgot-ask")
            page.get_by_label("Email").fill(STAFF)
            page.get_by_role("button", name="Email me a reset link").click()
            expect(page.get_by_role("status")).to_contain_text("If an account")
            _shoot(page, "forgot-answer")

            deadline = time.monotonic() + 20
            while not handler.received and time.monotonic() < deadline:
                time.sleep(0.1)
            assert len(handler.received) == 1, "no reset mail arrived"
            assert handler.received[0].rcpt_tos == [STAFF]
            mail = email.message_from_bytes(handler.received[0].content)  # type: ignore[arg-type]
            html = next(p for p in mail.walk() if p.get_content_type() == "text/html")
            body = html.get_payload(decode=True).decode()  # type: ignore[union-attr]
            link = re.search(r'href="(http[^"]+/account/reset\?token=[^"]+)"', body)
            assert link is not None
            assert link.group(1).startswith(server.url)  # the address actually served

            page.goto(link.group(1).replace("&amp;", "&"))
            expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
            _shoot(page, "forgot-new-password")
            page.get_by_label("New password", exact=True).fill(NEW)
            page.get_by_label("New password again").fill(NEW)
            page.get_by_role("button", name="Set password").click()
            expect(page.get_by_role("status")).to_contain_text("Your new password is set")

            page.goto(server.url + "/login")
            page.get_by_label("Email").fill(STAFF)
            page.get_by_label("Password").fill(NEW)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
            _shoot(page, "forgot-signed-in")
        finally:
            server.stop()
