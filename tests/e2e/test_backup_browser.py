"""The owner downloads a backup from the settings: one consistent SQLite file that opens on its
own (no log beside it), holds what the server stored, and leaves nothing behind on the server."""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.inprocess import InProcessServer
from tests.waiting import wait_for

pytestmark = pytest.mark.browser
PASSWORD = "a long enough passphrase"
OWNER = "owner@example.com"


@pytest.mark.parametrize("width", [390, 1280])
def test_the_owner_downloads_a_backup_that_opens_alone(
    server: InProcessServer, page: object, width: int, tmp_path: Path
) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    page.set_viewport_size({"width": width, "height": 800})
    server.cli("init", "--email", OWNER, "--password-stdin", password=PASSWORD)
    server.cli("links", "create", "https://shop.example/mug", "--slug", "mug")
    page.goto(server.url + "/settings")
    page.get_by_label("Email").fill(OWNER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Backup").click()
    expect(page.get_by_role("heading", name="Backup", exact=True)).to_be_visible()
    expect(page.locator("code.path")).to_contain_text("evergreen.db")
    button = page.get_by_role("button", name="Download a backup")
    box = button.bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= width  # reachable without scrolling sideways
    page.screenshot(path=str(ARTIFACTS / f"backup-{width}.png"), full_page=True)

    with page.expect_download() as downloading:
        button.click()
    download = downloading.value
    assert re.fullmatch(r"evergreen-\d{4}-\d{2}-\d{2}\.db", download.suggested_filename)
    copy = tmp_path / "copy.db"
    download.save_as(copy)
    assert not Path(f"{copy}-wal").exists()
    with closing(sqlite3.connect(copy)) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one file
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT email FROM users").fetchall() == [(OWNER,)]
        assert db.execute("SELECT slug FROM links").fetchall() == [("mug",)]
    # The copy made on the server for the download is gone once it was sent.
    assert wait_for(lambda: not list(server.data_dir.glob(".backup-*")), 5)
