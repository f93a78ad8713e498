"""A sign-up form with double opt-in, end to end in a real browser against `evergreen serve`:
the owner makes the form, a person fills in the hosted page, a real SMTP server (aiosmtpd)
receives the confirmation mail, its link confirms them (their browser's time zone kept), and
the preference centre takes them off the list again. Screenshots at 390 and 1280 px."""

from __future__ import annotations

import email
import json
import re
import time

import pytest

from evergreen.audience.service.preferences import preference_url
from evergreen.config import Settings, resolve_secret_key
from evergreen.db import Database
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.inprocess import serve_here
from tests.mail.smtp_server import smtp_env, smtp_server

pytestmark = pytest.mark.browser
PASSWORD = "a long enough passphrase"
OWNER = "owner@example.com"


def _shoot(page: object, name: str) -> None:
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 800})  # type: ignore[attr-defined]
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # type: ignore[attr-defined]
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)  # type: ignore[attr-defined]
    page.set_viewport_size({"width": 1280, "height": 800})  # type: ignore[attr-defined]


def test_sign_up_confirm_and_leave_through_the_preference_centre(
    tmp_path: object, page: object
) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    data_dir = tmp_path / "data"  # type: ignore[operator]
    with smtp_server() as (handler, port):
        server = serve_here(
            data_dir,
            smtp_env(port, "news@shop.example"),
        )
        try:
            server.cli("init", "--email", OWNER, "--password-stdin", password=PASSWORD)
            server.cli("audience", "lists", "add", "News")
            page.goto(server.url + "/audience/forms/new")
            page.get_by_label("Email").fill(OWNER)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.get_by_label("Name", exact=True).fill("Newsletter")
            page.get_by_label("Page address").fill("news")
            page.get_by_role("checkbox", name="News").check()
            page.get_by_label("Heading").fill("Get the newsletter")
            page.get_by_role("button", name="Create form").click()
            expect(page.get_by_role("status")).to_contain_text("Form created")
            expect(page.locator("#snippet")).to_contain_text("/api/v1/public/forms/news")
            _shoot(page, "forms-owner")

            browser = page.context.browser
            assert browser is not None
            # No owner cookie: a stranger, in New Zealand (their zone times the sequences' hours).
            visitor = browser.new_page(timezone_id="Pacific/Auckland")
            visitor.goto(server.url + "/f/news")
            expect(visitor.get_by_role("heading", name="Get the newsletter")).to_be_visible()
            _shoot(visitor, "form-hosted")
            visitor.get_by_label("Email").fill("jane@example.com")
            visitor.get_by_label("Name").fill("Jane")
            time.sleep(2.2)  # a person takes a moment; faster is the time trap
            visitor.get_by_role("button", name="Subscribe").click()
            expect(visitor.get_by_role("status")).to_contain_text("look in your inbox")
            _shoot(visitor, "form-thanks")

            deadline = time.monotonic() + 20
            while not handler.received and time.monotonic() < deadline:
                time.sleep(0.1)
            assert len(handler.received) == 1, "no confirmation mail arrived"
            mail = email.message_from_bytes(handler.received[0].content)  # type: ignore[arg-type]
            html = next(p for p in mail.walk() if p.get_content_type() == "text/html")
            body = html.get_payload(decode=True).decode()  # type: ignore[union-attr]
            link = re.search(r'href="(http[^"]+/audience/confirm/([^"]+))"', body)
            assert link is not None
            assert link.group(1).startswith(server.url)
            shown = json.loads(server.cli("audience", "show", "jane@example.com", "--json"))
            assert shown["lists"] == {"News": "unconfirmed"}

            settings = Settings(data_dir=data_dir)
            secret = resolve_secret_key(settings)
            confirm_page = visitor.goto(link.group(1))
            assert confirm_page is not None
            assert confirm_page.status == 200
            # The link shows a button (a mail scanner's GET confirms nobody); pressing it does.
            visitor.get_by_role("button", name="Yes, subscribe me").click()
            visitor.wait_for_load_state()
            assert "subscribed" in visitor.content().lower()
            shown = json.loads(server.cli("audience", "show", "jane@example.com", "--json"))
            assert shown["lists"] == {"News": "subscribed"}

            database = Database(settings.sqlalchemy_url)
            with database.session(writer=False) as session:
                from sqlalchemy import select

                from evergreen.audience.models import Subscriber

                person = session.scalar(select(Subscriber))
                assert person is not None
                assert person.time_zone == "Pacific/Auckland"
                url = preference_url(server.url, secret, person.id, person.email)
            database.dispose()
            visitor.goto(url)
            news = visitor.get_by_role("checkbox", name="News")
            expect(news).to_be_checked()
            _shoot(visitor, "preferences")
            news.uncheck()
            visitor.get_by_role("radio", name="At most one a month").check()
            visitor.get_by_role("button", name="Save preferences").click()
            expect(visitor.get_by_role("status")).to_contain_text("You left: News")
            shown = json.loads(server.cli("audience", "show", "jane@example.com", "--json"))
            assert shown["lists"] == {"News": "unsubscribed"}
            assert shown["fields"]["frequency"] == "monthly"
            visitor.close()
        finally:
            server.close()
