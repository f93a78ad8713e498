"""The buyers' area end to end in real Chromium against `evergreen serve`: a product granted
from the CLI, the buyer asks for a sign-in link at /account, it arrives at a real SMTP server
(aiosmtpd), following it opens the purchases page, and the download link delivers the file.
Screenshots at 390 and 1280 px."""

from __future__ import annotations

import email
import re
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.inprocess import serve_here
from tests.mail.smtp_server import smtp_env, smtp_server

pytestmark = pytest.mark.browser
BUYER = "ann@example.com"


def _shoot(page: object, name: str) -> None:
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 800})  # type: ignore[attr-defined]
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # type: ignore[attr-defined]
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)  # type: ignore[attr-defined]
    page.set_viewport_size({"width": 1280, "height": 800})  # type: ignore[attr-defined]


def test_buyer_magic_link_purchases_and_download(tmp_path: Path, page: object) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    book = tmp_path / "guide.pdf"
    book.write_bytes(b"%PDF-1.7 the guide")
    with smtp_server() as (handler, port):
        server = serve_here(tmp_path / "data", smtp_env(port, "shop@shop.example"))
        try:
            server.cli("commerce", "product", "add", "Guide", "--kind", "digital")
            server.cli("commerce", "product", "file", "Guide", "--file", str(book))
            granted = server.cli("commerce", "grant", "add", "Guide", "--email", BUYER)
            assert BUYER in granted

            page.goto(server.url + "/account")
            expect(page.get_by_role("heading", name="Your purchases")).to_be_visible()
            _shoot(page, "buyers-sign-in")
            page.get_by_label("Email").fill(BUYER)
            page.get_by_role("button", name="Email me a sign-in link").click()
            expect(page.get_by_role("status")).to_contain_text("If purchases were made")

            deadline = time.monotonic() + 20
            while not handler.received and time.monotonic() < deadline:
                time.sleep(0.1)
            assert [m.rcpt_tos for m in handler.received] == [[BUYER]]
            mail = email.message_from_bytes(handler.received[0].content)  # type: ignore[arg-type]
            html = next(p for p in mail.walk() if p.get_content_type() == "text/html")
            body = html.get_payload(decode=True).decode()  # type: ignore[union-attr]
            link = re.search(r'href="(http[^"]+/account/signin/[^"]+)"', body)
            assert link is not None
            assert link.group(1).startswith(server.url)  # the address actually served

            page.goto(link.group(1))
            expect(page.locator("#buyer-email")).to_have_text(BUYER)
            expect(page.get_by_role("heading", name="Guide")).to_be_visible()
            _shoot(page, "buyers-purchases")
            with page.expect_download() as waiting:
                page.get_by_role("link", name="guide.pdf").click()
            saved = tmp_path / "got.pdf"
            waiting.value.save_as(saved)
            assert saved.read_bytes() == b"%PDF-1.7 the guide"
            assert "downloads 1" in server.cli("commerce", "grant", "list", "Guide")
        finally:
            server.stop()
