"""The owner copies the embeddable registration form from the webinar's page (shown at 390 px and
1280 px), pastes it into a plain static page of "their blog" (a file:// page, another origin),
and a visitor in Tokyo registers through it: the one-line script fills their zone and fetches
the anti-bot token, the post lands on the running server, and they see their registration."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import ARTIFACTS, Server

pytestmark = pytest.mark.browser
PASSWORD = "a long enough passphrase"
WORDING = "Yes, send me the Masterclass emails."
_WIDE = "() => document.scrollingElement.scrollWidth - window.innerWidth"


def test_a_visitor_registers_through_the_embedded_form(
    server: Server, page: object, tmp_path: Path
) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    server.cli("init", "--email", "me@example.com", "--password-stdin", password=PASSWORD)
    server.cli("audience", "lists", "add", "Masterclass list")
    server.cli("webinars", "add", "masterclass", "--duration-minutes", "45",
               "--schedule", "jit:30@00:00-24:00,mon-sun", "--timezone", "viewer",
               "--slug", "masterclass", "--list-id", "1",
               "--consent-wording", WORDING)  # fmt: skip
    page.goto(server.url + "/login")
    page.get_by_label("Email").fill("me@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$"))
    page.goto(server.url + "/webinars/1")
    page.locator("#embed summary").click()
    expect(page.locator("#snippet")).to_be_visible()
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 844})
        assert page.evaluate(_WIDE) <= 1, f"the webinar's page is wider than {width} px"
        page.screenshot(path=str(ARTIFACTS / f"webinar-embed-{width}.png"), full_page=True)
    snippet = page.locator("#snippet").input_value()
    assert f"{server.url}/w/masterclass/embed" in snippet

    blog = tmp_path / "blog.html"
    blog.write_text(f"<!doctype html><html><body><h1>My blog</h1>{snippet}</body></html>")
    browser = page.context.browser
    assert browser is not None
    context = browser.new_context(timezone_id="Asia/Tokyo", viewport={"width": 390, "height": 800})
    visitor = context.new_page()
    visitor.goto(blog.as_uri())
    expect(visitor.locator("input[name=viewer_timezone]")).to_have_value("Asia/Tokyo")
    expect(visitor.locator("input[name=token]")).not_to_have_value("")  # fetched cross-origin
    visitor.get_by_label("Email", exact=True).fill("kenji@example.com")
    visitor.get_by_label("Name", exact=True).fill("Kenji")
    visitor.get_by_role("checkbox", name=WORDING).check()
    visitor.screenshot(path=str(ARTIFACTS / "webinar-embed-blog-390.png"), full_page=True)
    time.sleep(2.2)  # a person takes a moment; faster is the time trap
    visitor.get_by_role("button", name="Register").click()
    expect(visitor.get_by_role("heading", name="You're registered")).to_be_visible()
    assert visitor.url.startswith(server.url + "/w/masterclass/r/")
    expect(visitor.locator("#registered")).to_contain_text("(Asia/Tokyo)")
    (row,) = json.loads(server.cli("webinars", "registrations", "masterclass", "--json"))
    assert (row["email"], row["viewer_timezone"]) == ("kenji@example.com", "Asia/Tokyo")
    context.close()
