"""The owner builds a list in the browser: imports a Mailchimp export (preview, then import,
then the counts), reads the lists and a person's history with the consent wording, adds
someone to a double opt-in list, and that person confirms from the public link; on a phone
(390 px) and a laptop (1280 px), nothing wider than the screen."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.e2e.conftest import ARTIFACTS, Server

pytestmark = pytest.mark.browser
PASSWORD = "a long enough passphrase"
WIDTHS = (1280, 390)
MAILCHIMP = (
    "Email Address,First Name,Last Name,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,TAGS,MEMBER_RATING\n"
    "ann@example.com,Ann,Lee,2024-03-01 10:00:00,203.0.113.5,2024-03-01 10:05:00,"
    '"""vip""",2\n'
    "not-an-address,Bad,Row,,,,,\n"
    "bo.with.a.rather.long.address@a-very-long-subdomain.example.com,Bo,Hansen-Featherstone,"
    '2024-03-02 11:00:00,,,"""vip"",""buyer""",4\n'
)
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
        page.screenshot(path=str(ARTIFACTS / f"audience-{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def test_owner_imports_a_mailchimp_export_and_reads_the_lists(
    server: Server, page: object, tmp_path: Path
) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    _sign_in(page, server)
    export = tmp_path / "members_export.csv"
    export.write_text(MAILCHIMP, encoding="utf-8")

    page.get_by_role("navigation", name="Areas").get_by_role("link", name="Audience").click()
    expect(page.get_by_role("heading", name="Audience", exact=True)).to_be_visible()
    page.get_by_role("navigation", name="Audience").get_by_role("link", name="Import").click()
    page.locator("#upload input[type=file]").set_input_files(str(export))
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview-format")).to_contain_text("Recognised as mailchimp")
    expect(page.locator("#preview-counts")).to_contain_text(
        "3 rows: 2 to import (2 subscribed), 1 with errors (skipped)"
    )
    expect(page.locator("#preview-errors")).to_contain_text("Line 3: Email Address:")
    page.get_by_label("Meaning of MEMBER_RATING").select_option("")
    page.get_by_role("button", name="Preview again").click()
    expect(page.locator("#preview-rows")).not_to_contain_text("member_rating=")
    expect(page.locator("#preview-rows")).to_contain_text("ann@example.com")
    _shoot(page, "import-preview")

    page.get_by_label("or a new list named").fill("Weekly letter")
    page.get_by_role("button", name="Import 2 rows").click()
    result = page.locator("#import-result")
    expect(result).to_contain_text("into Weekly letter (mailchimp format): 3 rows")
    expect(page.locator("#result-created")).to_have_text("2")
    expect(page.locator("#result-errors")).to_have_text("1")
    expect(page.locator("#result-row-errors")).to_contain_text("Line 3")
    _shoot(page, "import-result")

    page.get_by_role("link", name="Back to the lists").click()
    row = page.get_by_role("row").filter(has_text="Weekly letter")
    expect(row).to_contain_text("double")
    expect(row.locator("td.num").last).to_have_text("2")
    _shoot(page, "lists")
    row.get_by_role("link", name="Weekly letter").click()
    expect(page.locator("#list-subscribed")).to_have_text("2")
    _shoot(page, "list")

    page.get_by_role("link", name="ann@example.com").click()
    expect(page.get_by_role("heading", name="ann@example.com")).to_be_visible()
    consent = page.locator("table.consent")
    expect(consent).to_contain_text("Opted in")
    expect(consent).to_contain_text("members_export.csv (import)")
    expect(consent).to_contain_text("confirmed 2024-03-01T10:05:00+00:00")
    _shoot(page, "imported-person")
    assert json.loads(server.cli("audience", "show", "ann@example.com", "--json")) == {
        "email": "ann@example.com",
        "status": "subscribed",
        "lists": {"Weekly letter": "subscribed"},
        "fields": {},
    }


def test_a_person_added_by_hand_confirms_from_the_public_link(server: Server, page: object) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    _sign_in(page, server)
    server.cli("audience", "lists", "add", "Tips <weekly>")
    page.goto(server.url + "/audience/subscribers/new")
    form = page.locator("#add-subscriber")
    form.get_by_label("Email").fill("jo@example.com")
    form.get_by_label("Name").fill("Jo")
    form.get_by_label("List").select_option(label="Tips <weekly> (double opt-in)")
    form.get_by_label("Tags").fill("workshop, Buyer")
    form.get_by_label("How they agreed").fill("Asked to join at the May workshop, in writing")
    form.get_by_role("button", name="Add subscriber").click()
    expect(page.get_by_role("status")).to_contain_text("unconfirmed until they open")
    link = page.locator("#confirm-link code").inner_text()
    assert "/audience/confirm/" in link
    consent = page.locator("table.consent")
    expect(consent).to_contain_text("Asked to join at the May workshop, in writing")
    expect(consent).to_contain_text("Added by me@example.com")
    expect(page.locator("#lists")).to_contain_text("unconfirmed")
    _shoot(page, "person-added")

    # The person, in their own browser: opening the link changes nothing until they press.
    browser = page.context.browser
    assert browser is not None
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        theirs = context.new_page()
        theirs.goto(link)
        expect(
            theirs.get_by_role("heading", name="Confirm your subscription to Tips <weekly>")
        ).to_be_visible()
        _shoot(theirs, "confirm")
        shown = json.loads(server.cli("audience", "show", "jo@example.com", "--json"))
        assert shown["status"] == "unconfirmed"
        theirs.get_by_role("button", name="Yes, subscribe me").click()
        expect(theirs.get_by_role("heading", name="You're subscribed")).to_be_visible()
        _shoot(theirs, "confirmed")
        theirs.goto(server.url + "/audience/confirm/not.a-real-token")
        expect(theirs.get_by_role("heading", name="This link does not work")).to_be_visible()
        expect(theirs.get_by_role("alert")).to_contain_text("copied whole")
        _shoot(theirs, "bad-link")
    finally:
        context.close()
    shown = json.loads(server.cli("audience", "show", "jo@example.com", "--json"))
    assert shown["lists"] == {"Tips <weekly>": "subscribed"}

    page.reload()
    expect(page.locator("table.consent")).to_contain_text("Confirmed")
    expect(page.locator("table.consent")).to_contain_text(
        "Confirm your subscription to Tips <weekly>: [Yes, subscribe me]"
    )
    page.get_by_role("button", name="Erase this person…").click()
    expect(page.get_by_role("heading", name="Erase jo@example.com?")).to_be_visible()
    _shoot(page, "erase-confirm")
    page.get_by_role("button", name="Erase for good").click()
    expect(page.get_by_role("status")).to_contain_text("Erased")
