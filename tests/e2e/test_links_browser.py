"""The owner creates a tracking link in the browser; a visitor follows it and is counted."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.e2e.conftest import ARTIFACTS, Server

pytestmark = pytest.mark.browser
PASSWORD = "a long enough passphrase"
LANDING_TEXT = "Welcome to the spring sale"
# A person's browser; headless Chromium says "HeadlessChrome" and is rightly counted as a bot.
DESKTOP_CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36"
)


class _Landing(BaseHTTPRequestHandler):
    """The link's destination: a page with a known text."""

    def do_GET(self) -> None:
        body = f"<!doctype html><title>Shop</title><h1>{LANDING_TEXT}</h1>".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test output is the server's."""


@pytest.fixture
def landing() -> Iterator[str]:
    """A tiny local web server standing for the shop the link points to."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Landing)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/spring"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def _init_owner(server: Server) -> None:
    server.cli("init", "--email", "me@example.com", "--password-stdin", password=PASSWORD)


def test_create_link_follow_it_and_see_the_click(
    server: Server, page: object, landing: str
) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    _init_owner(server)

    page.goto(server.url + "/links")
    page.get_by_label("Email").fill("me@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Links")).to_be_visible()
    expect(page.get_by_text("No links yet")).to_be_visible()

    page.get_by_role("link", name="New link").first.click()
    page.get_by_label("Destination URL").fill(landing)
    page.locator("input[name=slug]").fill("spring")
    page.locator("input[name=title]").fill("Spring sale <b>")
    page.locator("input[name=channel]").fill("newsletter")
    page.screenshot(path=str(ARTIFACTS / "links-new.png"), full_page=True)
    page.get_by_role("button", name="Create link").click()
    expect(page).to_have_url(re.compile(r"/links/spring\?saved=created$"))
    expect(page.get_by_role("status")).to_contain_text("Link created")
    expect(page.locator(".qr-code svg")).to_be_visible()

    page.get_by_role("link", name="All links").click()
    row = page.get_by_role("row").filter(has_text="spring")
    expect(row).to_contain_text("/go/spring")  # the short URL, with its copy button
    expect(row).to_contain_text("newsletter")
    expect(row.get_by_role("link", name="spring", exact=True)).to_be_visible()

    # A visitor (a browser not signed in here) follows the short link to the shop.
    assert page.context.browser is not None
    visitor = page.context.browser.new_context(user_agent=DESKTOP_CHROME)
    try:
        tab = visitor.new_page()
        tab.goto(server.url + "/go/spring")
        expect(tab.get_by_role("heading", name=LANDING_TEXT)).to_be_visible()
        assert tab.url == landing
    finally:
        visitor.close()

    # The owner's own click lands too, and is kept apart as the owner's traffic.
    page.goto(server.url + "/go/spring")
    expect(page.get_by_text(LANDING_TEXT)).to_be_visible()

    page.goto(server.url + "/links/spring")
    expect(page.locator("#human-clicks")).to_have_text("1")
    expect(page.locator("#total-clicks")).to_have_text("2")
    expect(page.get_by_role("cell", name="Your own traffic")).to_be_visible()
    expect(page.locator("figure.chart svg rect.human")).to_have_count(1)
    page.screenshot(path=str(ARTIFACTS / "links.png"), full_page=True)

    page.get_by_role("link", name="Overview").click()
    expect(page.locator("#human-clicks")).to_have_text("1")
    expect(page.get_by_role("cell", name="newsletter")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "links-overview.png"), full_page=True)

    page.get_by_role("link", name="Import CSV").first.click()
    page.get_by_label("paste CSV text").fill(
        f"destination,slug,tags\n{landing}-summer,summer,a|b\nftp://nope.example/,bad,\n"
    )
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("status")).to_contain_text("Created 1 link")
    expect(
        page.get_by_text("line 3: destination: must start with http:// or https://")
    ).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "links-import.png"), full_page=True)

    page.goto(server.url + "/links")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="spring", exact=True))
    expect(row.locator("td.num").first).to_have_text("1")
    page.screenshot(path=str(ARTIFACTS / "links-list.png"), full_page=True)
    assert server.stop() == 0
