"""A visitor in Tokyo opens the webinar's registration page: the browser's zone is detected and
the sessions shown in it, they register with consent, see the confirmation page with their
session in Tokyo time, the mail arrives at a real SMTP server (aiosmtpd), and the .ics link
and the room's placeholder answer; at 390 px and 1280 px, nothing wider than the screen."""

from __future__ import annotations

import email
import json
import re
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.inprocess import serve_here
from tests.mail.smtp_server import smtp_env, smtp_server

pytestmark = pytest.mark.browser
WORDING = "Yes, send me the Masterclass emails."


def _shoot(page: object, name: str) -> None:
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 800})  # type: ignore[attr-defined]
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # type: ignore[attr-defined]
        page.screenshot(path=str(ARTIFACTS / f"webinar-{name}-{width}.png"), full_page=True)  # type: ignore[attr-defined]
    page.set_viewport_size({"width": 1280, "height": 800})  # type: ignore[attr-defined]


def test_a_visitor_registers_sees_their_session_and_gets_the_mail(
    tmp_path: Path, page: object
) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    browser = page.context.browser
    assert browser is not None
    with smtp_server() as (handler, port):
        server = serve_here(
            tmp_path / "data",
            smtp_env(port, "webinars@shop.example"),
        )
        try:
            server.cli("audience", "lists", "add", "Masterclass list")
            server.cli("webinars", "add", "masterclass", "--duration-minutes", "45",
                       "--schedule", "daily:09:00,18:00", "--timezone", "viewer",
                       "--title", "The Masterclass", "--presenter", "Ana",
                       "--slug", "masterclass", "--list-id", "1",
                       "--consent-wording", WORDING)  # fmt: skip
            context = browser.new_context(
                timezone_id="Asia/Tokyo", viewport={"width": 1280, "height": 800}
            )
            visitor = context.new_page()
            visitor.goto(server.url + "/w/masterclass?channel=youtube")
            visitor.wait_for_url(re.compile(r"tz=Asia%2FTokyo"))
            expect(visitor.get_by_role("heading", name="The Masterclass")).to_be_visible()
            expect(visitor.locator("#zone-shown")).to_have_text("Asia/Tokyo")
            expect(visitor.get_by_label("Your time zone")).to_have_value("Asia/Tokyo")
            first = visitor.locator("#sessions input[type=radio]").first
            expect(first).to_be_checked()
            expect(visitor.locator("#sessions label").first).to_contain_text(
                re.compile(r"(09|18):00")
            )
            _shoot(visitor, "register")
            visitor.get_by_label("Email", exact=True).fill("jane@example.com")
            visitor.get_by_label("Name", exact=True).fill("Jane")
            visitor.get_by_role("checkbox", name=WORDING).check()
            time.sleep(2.2)  # a person takes a moment; faster is the time trap
            visitor.get_by_role("button", name="Register").click()
            expect(visitor.get_by_role("heading", name="You're registered")).to_be_visible()
            expect(visitor.locator("#registered")).to_contain_text("(Asia/Tokyo)")
            local = visitor.locator("#session-local").inner_text()
            assert re.search(r"(09|18):00$", local), local
            _shoot(visitor, "registered")

            ics = visitor.request.get(
                server.url + (visitor.locator("#ics-link").get_attribute("href") or "")
            )
            assert ics.status == 200
            assert "BEGIN:VEVENT" in ics.text()
            visitor.locator("#room-link").click()
            expect(visitor.locator("#room-opens")).to_contain_text(local)
            _shoot(visitor, "room")

            deadline = time.monotonic() + 20
            while not handler.received and time.monotonic() < deadline:
                time.sleep(0.1)
            assert len(handler.received) == 1, "no confirmation mail arrived"
            mail = email.message_from_bytes(handler.received[0].content)  # type: ignore[arg-type]
            assert mail["Subject"] == "You're registered: The Masterclass"
            html = next(p for p in mail.walk() if p.get_content_type() == "text/html")
            body = html.get_payload(decode=True).decode()  # type: ignore[union-attr]
            assert "(Asia/Tokyo)" in body
            assert "/w/masterclass/ics/" in body

            (row,) = json.loads(server.cli("webinars", "registrations", "masterclass", "--json"))
            assert row["source"] == {"channel": "youtube"}
            shown = json.loads(server.cli("audience", "show", "jane@example.com", "--json"))
            # The list asks to confirm: the same mail carries the confirmation link.
            assert shown["lists"] == {"Masterclass list": "unconfirmed"}
            assert "/audience/confirm/" in body
            context.close()
        finally:
            server.close()
