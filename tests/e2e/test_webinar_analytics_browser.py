"""The owner opens a webinar's analytics from its page: show-up rate, watch time, the drop-off
curve, offer clicks and sales, by traffic source; a viewer's heartbeats sent to the running
server are folded by its ingester and counted; on a phone (390 px) and a laptop (1280 px),
nothing wider than the screen."""

from __future__ import annotations

import json
import re
import time
import urllib.request
from datetime import timedelta

import pytest

from evergreen.config import Settings, resolve_secret_key
from evergreen.db import Database, utcnow
from evergreen.webinars.rules import link_token
from tests.e2e.conftest import ARTIFACTS, Server
from tests.webinars.analytics_fixture import analysed_webinar
from tests.webinars.beats_helpers import registrants

pytestmark = pytest.mark.browser
PASSWORD = "a long enough passphrase"
WIDTHS = (1280, 390)
_WIDE = "() => document.scrollingElement.scrollWidth - window.innerWidth"


@pytest.fixture
def server(server_process: Server) -> Server:
    """The real `evergreen serve`: the beats are posted to the process and folded by it."""
    return server_process


def _shoot(page: object, name: str) -> None:
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 844})
        assert page.evaluate(_WIDE) <= 1, f"{name} is wider than {width} px"
        page.screenshot(
            path=str(ARTIFACTS / f"webinar-analytics-{name}-{width}.png"), full_page=True
        )
    page.set_viewport_size({"width": 1280, "height": 800})


def _beat(server: Server, token: str, second: int) -> int:
    body = json.dumps({"token": token, "second": second}).encode()
    request = urllib.request.Request(
        server.url + "/w/masterclass/beat", data=body, method="POST",
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as answer:
        return int(answer.status)


def test_owner_reads_a_webinars_analytics(server: Server, page: object) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    server.cli("init", "--email", "me@example.com", "--password-stdin", password=PASSWORD)
    db = Database(f"sqlite:///{server.data_dir / 'evergreen.db'}")
    try:
        webinar = analysed_webinar(db, server.data_dir / "seeded-beats")
        (viewer,) = registrants(db, webinar, utcnow() - timedelta(minutes=2), channel="live")
    finally:
        db.dispose()
    secret = resolve_secret_key(Settings(data_dir=server.data_dir))
    token = link_token(secret, "room", viewer)
    for second in range(0, 65, 5):  # the room's player, live, through the running server
        assert _beat(server, token, second) == 204

    page.goto(server.url + "/login")
    page.get_by_label("Email").fill("me@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$"))
    page.goto(f"{server.url}/webinars/{webinar}")
    page.locator("#analytics-link").click()
    expect(page.get_by_role("heading", name=re.compile("^Analytics"))).to_be_visible()
    expect(page.locator("#registrations")).to_have_text("6")
    expect(page.locator("#show-up")).to_contain_text("50 %")
    expect(page.locator("#offer-clicks")).to_contain_text("1 human clicks")
    expect(page.locator("#earnings")).to_have_text(re.compile(r"^49\.00 [A-Z]{3}$"))
    expect(page.locator("#dropoff polyline")).to_have_count(1)
    # The server's ingester folds the beats within a second or so; 30 s on a loaded machine.
    deadline = time.monotonic() + 30
    while "over 3 viewers" not in page.locator("#watch-time").inner_text():
        if time.monotonic() > deadline:
            break
        page.wait_for_timeout(500)
        page.reload()
    expect(page.locator("#watch-time")).to_contain_text("over 3 viewers")
    expect(page.locator("#sources")).to_contain_text("live")
    _shoot(page, "channel")

    page.get_by_label("Break down by").select_option("utm_source")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#sources thead")).to_contain_text("utm_source")
    expect(page.locator("#sources tbody tr")).to_have_count(1)
    _shoot(page, "utm-source")
