"""The owner adds a sequence on its page (a bad step is named beside the document while the other
steps still read in words), activates it after the confirmation, sees the timeline, adds a step
with the form row, enrols a subscriber by hand and previews their timeline; at 390 px and
1280 px, nothing wider than the screen."""

from __future__ import annotations

import json
import re

import pytest

from tests.e2e.conftest import ARTIFACTS, Server

pytestmark = pytest.mark.browser
PASSWORD = "a long enough passphrase"
WIDTHS = (1280, 390)
_WIDE = "() => document.scrollingElement.scrollWidth - window.innerWidth"
STEPS = {
    "steps": [
        {"kind": "goal", "condition": {"kind": "tag", "name": "buyer"}},
        {"kind": "send", "message": "welcome"},
        {"kind": "wait", "seconds": "two days"},
        {"kind": "send", "message": "second"},
    ],
    "messages": {
        "welcome": {"subject": "Welcome aboard", "body": "Hello."},
        "second": {"subject": "Day two", "body": "Again."},
    },
}


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
        page.screenshot(path=str(ARTIFACTS / f"sequences-{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def test_owner_adds_activates_and_previews_a_sequence(server: Server, page: object) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    server.cli("audience", "lists", "add", "News", "--single-opt-in")
    server.cli("audience", "add", "ann@example.com", "--list", "News")
    _sign_in(page, server)
    page.get_by_role("navigation", name="Areas").get_by_role("link", name="Sequences").click()
    expect(page.get_by_role("heading", name="Sequences", exact=True)).to_be_visible()
    _shoot(page, "empty")

    page.get_by_role("link", name="New sequence").click()
    expect(page.locator("#step-words li")).to_have_count(4)  # the starter, in words
    form = page.locator("#new-sequence")
    form.get_by_label(re.compile(r"^Name")).fill("Welcome series")
    form.get_by_label("Sends from the list").select_option("News")
    form.locator("#document").fill(json.dumps(STEPS, indent=2))
    form.get_by_role("button", name="Add sequence").click()
    expect(page.locator("#document-error")).to_have_text("At steps[2].seconds: has the wrong type")
    words = page.locator("#step-words li")
    expect(words.nth(1)).to_have_text("Send 'Welcome aboard'")
    expect(words.nth(2)).to_contain_text("steps[2].seconds: has the wrong type")
    expect(page.locator("#document")).to_have_attribute("aria-invalid", "true")
    _shoot(page, "refused")

    STEPS["steps"][2]["seconds"] = 2 * 86400
    page.locator("#document").fill(json.dumps(STEPS, indent=2))
    page.locator("#new-sequence").get_by_role("button", name="Add sequence").click()
    expect(page.get_by_role("status")).to_contain_text("Sequence added as a draft.")
    timeline = page.locator("#timeline li .words")
    expect(timeline).to_have_text([
        "Goal: tag buyer (leaves the sequence when reached)",
        "Send 'Welcome aboard'",
        "Wait 2 days",
        "Send 'Day two'",
    ])  # fmt: skip
    expect(page.locator("#timeline li code")).to_have_text(["s1", "s2", "s3", "s4"])
    expect(page.locator("#status")).to_have_text("draft")
    _shoot(page, "draft")

    page.get_by_role("button", name="Activate…").click()
    expect(
        page.get_by_role("heading", name="Activate the sequence Welcome series?")
    ).to_be_visible()
    _shoot(page, "confirm")
    page.get_by_role("button", name="Activate and start sending").click()
    expect(page.locator("#status")).to_have_text("active")
    expect(page.get_by_role("button", name="Pause")).to_be_visible()

    page.get_by_text("Add a step").click()
    adding = page.locator("#add-step")
    adding.locator('select[name="kind"]').select_option("tag")
    adding.get_by_label(re.compile(r"^Tag or product")).fill("warm lead")
    adding.locator('select[name="after"]').select_option("s2")
    adding.get_by_role("button", name="Add step").click()
    expect(page.get_by_role("status")).to_contain_text("People already past a step")
    expect(page.locator("#timeline li .words").nth(2)).to_have_text("Add tag warm lead")

    page.get_by_label("Enrol a subscriber of the list by hand").fill("ann@example.com")
    page.get_by_role("button", name="Enrol", exact=True).click()
    expect(page.locator("#enrolments")).to_contain_text("ann@example.com")
    expect(page.locator("#step-numbers")).to_contain_text("Send 'Day two'")
    _shoot(page, "active")

    page.get_by_role("link", name="Preview for a subscriber").click()
    page.get_by_label("Subscriber's email").fill("ann@example.com")
    page.get_by_label(re.compile(r"^Simulate an enrolment at")).fill("2026-12-07T14:00:00Z")
    page.get_by_role("button", name="Show the timeline").click()
    items = page.locator("#preview-timeline li")
    expect(items.first).to_contain_text("Mon 07 Dec 2026, 14:00")
    expect(items.first).to_contain_text("Send 'Welcome aboard'")
    expect(items.nth(1)).to_contain_text("Add tag warm lead")
    expect(items.nth(3)).to_contain_text("Wed 09 Dec 2026, 14:00 Send 'Day two'")
    _shoot(page, "preview")
