"""Borrowers' documents in Chromium: the owner files a PDF on the borrower's documents page and
removes another after the confirmation page; the invited borrower sees the PDF on their
portal's documents page and downloads it. Each page is screenshot at 390 px and 1280 px and
must fit the screen."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.lending_setup import Lender, fits

pytestmark = pytest.mark.browser
PDF = b"%PDF-1.7\n" + b"1" * 200


def test_the_owner_files_and_removes_documents_and_the_borrower_downloads_theirs(
    lender: Lender, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    server = lender.server
    (tmp_path / "oa.pdf").write_bytes(PDF)
    (tmp_path / "old.pdf").write_bytes(PDF)
    problems: list[str] = []
    owner = lender.owner_page()
    owner.goto(server.url + "/lending/borrowers")
    owner.get_by_role("link", name="Documents").click()
    expect(owner.get_by_role("heading", name="Documents of Ann Rehab")).to_be_visible()
    for name, kind, note in (("old.pdf", "Other", "Draft"),
                             ("oa.pdf", "Operating agreement", "Signed 2026")):  # fmt: skip
        owner.get_by_label("Kind").select_option(label=kind)
        owner.get_by_label("Note").fill(note)
        owner.get_by_label(re.compile("File")).set_input_files(str(tmp_path / name))
        owner.get_by_role("button", name="Add document").click()
        expect(owner.get_by_text("Document added.")).to_be_visible()
    expect(owner.locator("#documents")).to_contain_text("Signed 2026")
    fits(owner, "lending-documents-owner", problems)
    owner.locator("tr", has_text="old.pdf").get_by_role("button", name="Remove").click()
    expect(owner.get_by_text("Remove old.pdf?")).to_be_visible()
    fits(owner, "lending-documents-confirm", problems)
    owner.get_by_role("button", name="Remove document").click()
    expect(owner.get_by_text("Document removed.")).to_be_visible()
    expect(owner.locator("#documents")).not_to_contain_text("old.pdf")

    owner.goto(f"{server.url}/lending/borrowers/{lender.borrower_id}/invite")
    owner.get_by_role("button", name="Make invitation link").click()
    me = lender.borrower_page(owner.locator("#invite-link").input_value())
    me.get_by_role("link", name="Your documents").click()
    expect(me.locator("#documents")).to_contain_text("Operating agreement")
    expect(me.locator("#documents")).not_to_contain_text("old.pdf")
    fits(me, "lending-documents-portal", problems)
    with me.expect_download() as waiting:
        me.get_by_role("link", name="oa.pdf").click()
    assert Path(waiting.value.path()).read_bytes() == PDF
    assert not problems, problems
