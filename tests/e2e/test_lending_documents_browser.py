"""Borrowers' documents in Chromium: the owner files a PDF on the borrower's documents page and
removes another after the confirmation page; the invited borrower sees the PDF on their
portal's documents page and downloads it. Each page is screenshot at 390 px and 1280 px and
must fit the screen."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ARTIFACTS, MEASURE, Server

pytestmark = pytest.mark.browser
PASSWORD = "a long enough passphrase"
OWNER = "owner@example.com"
BORROWER = "ann@rehab.example"
PDF = b"%PDF-1.7\n" + b"1" * 200


def _fits(page: Any, name: str, problems: list[str]) -> None:
    """Screenshot the page at 1280 and 390 px; note it when wider than the screen."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 844})
        seen = page.evaluate(MEASURE)
        page.screenshot(
            path=str(ARTIFACTS / f"lending-documents-{name}-{width}.png"), full_page=True
        )
        if seen["scroll"] > seen["width"] or seen["covered"]:
            problems.append(f"{name} at {width}px: {seen['scroll']}px wide {seen['wide']}")
    page.set_viewport_size({"width": 1280, "height": 844})


def test_the_owner_files_and_removes_documents_and_the_borrower_downloads_theirs(
    server: Server, browser: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    server.cli("init", "--email", OWNER, "--password-stdin", password=PASSWORD)
    found = re.search(r"evg_\S+", server.cli("token", "create", "--email", OWNER))
    assert found, "no token printed"
    request = urllib.request.Request(
        server.url + "/api/v1/lending/borrowers",
        data=json.dumps({"name": "Ann Rehab", "kind": "llc", "email": BORROWER}).encode(),
        headers={"Authorization": f"Bearer {found.group(0)}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        ann = json.loads(response.read())["id"]
    (tmp_path / "oa.pdf").write_bytes(PDF)
    (tmp_path / "old.pdf").write_bytes(PDF)
    problems: list[str] = []
    owner_context = browser.new_context(viewport={"width": 1280, "height": 844})
    borrower_context = browser.new_context(viewport={"width": 1280, "height": 844},
                                           accept_downloads=True)  # fmt: skip
    try:
        owner = owner_context.new_page()
        owner.goto(server.url + "/login")
        owner.get_by_label("Email").fill(OWNER)
        owner.get_by_label("Password").fill(PASSWORD)
        owner.get_by_role("button", name="Sign in").click()
        owner.wait_for_url(re.compile(r"/$"))
        owner.goto(server.url + "/lending/borrowers")
        owner.get_by_role("link", name="Documents").click()
        expect(owner.get_by_role("heading", name="Documents of Ann Rehab")).to_be_visible()
        for name, kind, note in (("old.pdf", "Other", "Draft"), ("oa.pdf", "Operating agreement",
                                                                  "Signed 2026")):  # fmt: skip
            owner.get_by_label("Kind").select_option(label=kind)
            owner.get_by_label("Note").fill(note)
            owner.get_by_label(re.compile("File")).set_input_files(str(tmp_path / name))
            owner.get_by_role("button", name="Add document").click()
            expect(owner.get_by_text("Document added.")).to_be_visible()
        expect(owner.locator("#documents")).to_contain_text("Signed 2026")
        _fits(owner, "owner", problems)
        owner.locator("tr", has_text="old.pdf").get_by_role("button", name="Remove").click()
        expect(owner.get_by_text("Remove old.pdf?")).to_be_visible()
        _fits(owner, "confirm", problems)
        owner.get_by_role("button", name="Remove document").click()
        expect(owner.get_by_text("Document removed.")).to_be_visible()
        expect(owner.locator("#documents")).not_to_contain_text("old.pdf")

        owner.goto(f"{server.url}/lending/borrowers/{ann}/invite")
        owner.get_by_role("button", name="Make invitation link").click()
        link = owner.locator("#invite-link").input_value()
        me = borrower_context.new_page()
        me.goto(link)
        me.get_by_label("Password", exact=True).fill(PASSWORD)
        me.get_by_label("Password again").fill(PASSWORD)
        me.get_by_role("button", name="Set password").click()
        me.wait_for_url(re.compile(r"/login"))
        me.get_by_label("Email").fill(BORROWER)
        me.get_by_label("Password").fill(PASSWORD)
        me.get_by_role("button", name="Sign in").click()
        me.wait_for_url(re.compile(r"/borrower$"))
        me.get_by_role("link", name="Your documents").click()
        expect(me.locator("#documents")).to_contain_text("Operating agreement")
        expect(me.locator("#documents")).not_to_contain_text("old.pdf")
        _fits(me, "portal", problems)
        with me.expect_download() as waiting:
            me.get_by_role("link", name="oa.pdf").click()
        assert Path(waiting.value.path()).read_bytes() == PDF
    finally:
        owner_context.close()
        borrower_context.close()
    assert not problems, problems
