"""The owner writes a broadcast in the browser: a strict preview for one subscriber (a missing
field said in words), then "send now" after the confirmation; the queue's sender delivers it to
a real SMTP server (aiosmtpd) and the broadcast's page counts it; then a second one to a saved
segment of the list reaches only the list's people in the segment; on a phone (390 px) and a
laptop (1280 px), nothing wider than the screen."""

from __future__ import annotations

import email
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import ARTIFACTS, Server
from tests.e2e.inprocess import serve_here
from tests.mail.smtp_server import FaultyHandler, smtp_env, smtp_server

pytestmark = pytest.mark.browser
PASSWORD = "a long enough passphrase"
WIDTHS = (1280, 390)
_WIDE = "() => document.scrollingElement.scrollWidth - window.innerWidth"


@pytest.fixture
def mailing(tmp_path: Path) -> Iterator[tuple[Server, FaultyHandler, dict[str, str]]]:
    """A fresh installation whose mail goes to a local SMTP server."""
    with smtp_server() as (handler, port):
        env = {
            **smtp_env(port, "News <news@example.com>"),
            "EVERGREEN_MAIL_POSTAL_ADDRESS": "1 Main St, Springfield",
        }
        running = serve_here(tmp_path / "data", env)
        try:
            yield running, handler, env
        finally:
            running.close()


def _mail_cli(server: Server, env: dict[str, str], *args: str) -> str:
    """`evergreen ARGS` with the server's mail settings (the queue's sender, run now)."""
    done = subprocess.run(
        [sys.executable, "-m", "evergreen.cli", *args],
        capture_output=True,
        text=True,
        env={
            "EVERGREEN_DATA_DIR": str(server.data_dir),
            "EVERGREEN_BASE_URL": server.url,
            "PATH": "/usr/bin:/bin",
            **env,
            **{k: v for k, v in os.environ.items() if k == "PYTHONPATH"},
        },
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _shoot(page: object, name: str) -> None:
    """The page at both widths: nothing wider than the screen, a screenshot of each."""
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 844})
        assert page.evaluate(_WIDE) <= 1, f"{name} is wider than {width} px"
        page.screenshot(path=str(ARTIFACTS / f"mail-{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def test_owner_previews_and_sends_a_broadcast_that_reaches_the_smtp_server(
    mailing: tuple[Server, FaultyHandler, dict[str, str]], page: object
) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    server, handler, env = mailing
    server.cli("init", "--email", "me@example.com", "--password-stdin", password=PASSWORD)
    server.cli("audience", "lists", "add", "Weekly letter", "--single-opt-in")
    server.cli("audience", "add", "ann@example.com", "--list", "Weekly letter", "--name", "Ann")
    server.cli("audience", "add", "bo@example.com", "--list", "Weekly letter", "--name", "Bo")
    page.goto(server.url + "/login")
    page.get_by_label("Email").fill("me@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$"))

    page.get_by_role("navigation", name="Areas").get_by_role("link", name="Mail").click()
    expect(page.get_by_role("heading", name="Mail", exact=True)).to_be_visible()
    expect(page.locator("table.broadcasts")).to_contain_text("No broadcasts yet")
    _shoot(page, "empty")
    page.get_by_role("navigation", name="Mail").get_by_role("link", name="New broadcast").click()
    form = page.locator("#compose")
    form.locator("select[name=list_id]").select_option(label="Weekly letter (2 subscribed)")
    form.get_by_label("Subject").fill("Hello {{ subscriber.name }}")
    form.get_by_label("Body").fill("Dear {{ subscriber.name }} from {{ subscriber.fields.city }}")
    form.get_by_label("Preview for").fill("bo@example.com")
    form.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("alert")).to_contain_text("Not done: body:")
    expect(page.get_by_role("alert")).to_contain_text("city")
    _shoot(page, "compose-error")

    form.get_by_label("Body").fill(
        "Dear **{{ subscriber.name }}**,\n\nThe [news](https://example.org/n)."
    )
    form.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview-subject")).to_have_text("Hello Bo")
    preview = page.frame_locator("#preview iframe")
    expect(preview.locator("strong")).to_have_text("Bo")
    _shoot(page, "compose-preview")

    form.get_by_role("button", name="Send now").click()
    expect(page.get_by_role("heading", name="Send to 2 people now?")).to_be_visible()
    _shoot(page, "send-confirm")
    page.get_by_role("button", name="Send now").click()
    expect(page.get_by_role("status")).to_contain_text("Sending")
    expect(page.locator("#stat-recipients")).to_have_text("2")
    broadcast_id = page.url.split("/")[-1].split("?")[0]

    _mail_cli(server, env, "mail", "send", broadcast_id, "--wait")
    assert sorted(r for e in handler.received for r in e.rcpt_tos) == [
        "ann@example.com",
        "bo@example.com",
    ]
    message = email.message_from_bytes(handler.received[0].original_content or b"")
    assert message["Subject"] in ("Hello Ann", "Hello Bo")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    page.reload()
    expect(page.locator("#stat-sent")).to_have_text("2")
    expect(page.locator("#stat-queued")).to_have_text("0")
    expect(page.locator(".badge")).to_have_text("finished")
    expect(page.locator("#broadcast-actions")).not_to_contain_text("Cancel")
    _shoot(page, "broadcast-finished")

    page.get_by_role("link", name="Back to the broadcasts").click()
    row = page.get_by_role("row").filter(has_text="Hello {{ subscriber.name }}")
    expect(row).to_contain_text("finished")
    expect(row.locator("td.num").nth(1)).to_have_text("2")
    _shoot(page, "broadcasts")

    # A segment narrows the list: Cy is on both lists, Dee only on the other one.
    server.cli("audience", "lists", "add", "Readers", "--single-opt-in")
    server.cli("audience", "add", "cy@example.com", "--list", "Weekly letter", "--name", "Cy")
    server.cli("audience", "add", "cy@example.com", "--list", "Readers", "--name", "Cy")
    server.cli("audience", "add", "dee@example.com", "--list", "Readers", "--name", "Dee")
    page.goto(server.url + "/audience/segments")
    segment_form = page.locator("#query-form")
    segment_form.get_by_label("Query").fill('list:"Readers"')
    segment_form.get_by_label("Segment name").fill("Readers too")
    segment_form.get_by_role("button", name="Save segment").click()
    expect(page.get_by_role("status")).to_be_visible()
    page.goto(server.url + "/mail/new")
    form = page.locator("#compose")
    form.locator("select[name=list_id]").select_option(label="Weekly letter (3 subscribed)")
    form.get_by_label("Segment").select_option(label="Readers too")
    form.get_by_label("Subject").fill("Just for readers")
    form.get_by_label("Body").fill("Hello {{ subscriber.name }}")
    form.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview-subject")).to_have_text("Just for readers")
    expect(page.locator("#preview-recipients")).to_contain_text("Goes to 1 person")
    expect(form.get_by_label("Segment")).to_have_value(re.compile(r"\d+"))
    _shoot(page, "compose-segment")
    form.get_by_role("button", name="Send now").click()
    expect(page.get_by_role("heading", name="Send to 1 people now?")).to_be_visible()
    expect(page.locator("body")).to_contain_text("who matches the segment “Readers too”")
    page.get_by_role("button", name="Send now").click()
    expect(page.locator("#broadcast-segment")).to_have_text("Readers too")
    expect(page.locator("#stat-recipients")).to_have_text("1")
    segment_broadcast = page.url.split("/")[-1].split("?")[0]
    handler.received.clear()
    _mail_cli(server, env, "mail", "send", segment_broadcast, "--wait")
    assert [r for e in handler.received for r in e.rcpt_tos] == ["cy@example.com"]
    page.reload()
    expect(page.locator("#stat-sent")).to_have_text("1")
    _shoot(page, "broadcast-segment")
