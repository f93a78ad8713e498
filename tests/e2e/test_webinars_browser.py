"""The owner adds an evergreen webinar through the form (after a refused schedule says what to
fix), sees the sessions a visitor registering now would be offered in a chosen zone, and edits
the schedule; on a phone (390 px) and a laptop (1280 px), nothing wider than the screen."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import ARTIFACTS, Server

pytestmark = pytest.mark.browser
PASSWORD = "a long enough passphrase"
WIDTHS = (1280, 390)
_WIDE = "() => document.scrollingElement.scrollWidth - window.innerWidth"


def _sign_in(page: object, server: Server) -> None:
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    server.cli("init", "--email", "me@example.com", "--password-stdin", password=PASSWORD)
    page.goto(server.url + "/login")
    page.get_by_label("Email").fill("me@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$"))


def _shoot(page: object, name: str) -> None:
    """The page at both widths: nothing wider than the screen, a screenshot of each."""
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 844})
        assert page.evaluate(_WIDE) <= 1, f"{name} is wider than {width} px"
        page.screenshot(path=str(ARTIFACTS / f"webinars-{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def test_owner_adds_a_webinar_and_sees_the_sessions_offered(server: Server, page: object) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    _sign_in(page, server)
    page.get_by_role("navigation", name="Areas").get_by_role("link", name="Webinars").click()
    expect(page.get_by_role("heading", name="Webinars", exact=True)).to_be_visible()
    expect(page.locator("#schedule-help")).to_contain_text("jit:15")
    _shoot(page, "empty")

    form = page.locator("#add-webinar")
    form.get_by_label(re.compile(r"^Name")).fill("Evergreen masterclass")
    form.get_by_label("Presenter").fill("Ana Featherstone-Hansen")
    form.get_by_label("Length in minutes").fill("45")
    form.get_by_label("Schedule").fill("daily:25:00")
    form.get_by_label("Time zone").fill("Europe/London")
    form.get_by_role("button", name="Add webinar").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "The webinar was not added: schedule: '25:00' is not a time of day"
    )
    _shoot(page, "refused")

    form = page.locator("#add-webinar")
    form.get_by_label("Schedule").fill("daily:09:00,19:30")
    form.get_by_label("Blackout dates").fill("2040-12-25")
    form.get_by_role("button", name="Add webinar").click()
    expect(page.get_by_role("status")).to_have_text("Webinar added.")
    expect(page.locator("#schedule-words")).to_have_text(
        "Every day at 09:00 and 19:30, in Europe/London time; none on 1 blacked-out date."
    )
    preview = page.locator("#preview li")
    expect(preview).to_have_count(5)
    expect(preview.first).to_contain_text("Europe/London")
    _shoot(page, "webinar")

    page.get_by_label("Visitor's time zone").fill("Asia/Tokyo")
    page.get_by_role("button", name="Show").click()
    expect(preview).to_have_count(5)
    times = [text.split(" Asia/Tokyo")[0][-5:] for text in preview.all_inner_texts()]
    # 09:00 and 19:30 in London are 18:00 and 04:30 in Tokyo (GMT+9) or 17:00 and 03:30 (BST+8).
    assert set(times) <= {"18:00", "04:30", "17:00", "03:30"}, times

    page.get_by_text("Edit the webinar").click()
    settings = page.locator("#settings")
    settings.get_by_label("Schedule").fill("jit:15")
    settings.get_by_label("Time zone").fill("viewer")
    settings.get_by_role("button", name="Save webinar").click()
    expect(page.get_by_role("status")).to_have_text("Webinar saved.")
    expect(page.locator("#schedule-words")).to_contain_text("Every 15 minutes on the clock")
    minutes = {text.split(" UTC")[0][-2:] for text in preview.all_inner_texts()}
    assert minutes <= {"00", "15", "30", "45"}, minutes
    _shoot(page, "edited")

    page.get_by_role("link", name="← Webinars").click()
    expect(page.locator("table.webinars")).to_contain_text("Evergreen masterclass")
    _shoot(page, "list")
