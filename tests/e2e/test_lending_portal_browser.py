"""The borrower portal in Chromium: the owner makes a loan (API) and invites the borrower on the
invitation page; the borrower sets a password, signs in, requests a draw with a photo; the owner
approves and funds it (API); the borrower downloads a payoff letter whose text holds the total.
Each page is screenshot at 390 px and 1280 px and must fit the screen."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from evergreen.db import utcnow
from tests.e2e.lending_setup import Lender, fits
from tests.lending.pdftext import pdf_text

pytestmark = pytest.mark.browser
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_borrower_invited_requests_a_draw_with_a_photo_and_downloads_a_payoff_letter(
    lender: Lender, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    server = lender.server
    start = (utcnow().date() - timedelta(days=20)).isoformat()
    loan = lender.api("POST", "/loans", {
        "borrower": "Ann Rehab", "principal": "150000", "annual_rate": "12%", "months": 12,
        "start": start, "commitment": "50000"})  # fmt: skip
    problems: list[str] = []
    owner = lender.owner_page()
    owner.goto(f"{server.url}/lending/borrowers/{lender.borrower_id}/invite")
    owner.get_by_role("button", name="Make invitation link").click()
    link = owner.locator("#invite-link").input_value()
    assert "/borrower/invite?token=" in link
    fits(owner, "lending-portal-invite", problems)

    me = lender.borrower_page(link)
    expect(me.get_by_role("heading", name="Hello, Ann Rehab")).to_be_visible()
    fits(me, "lending-portal-loans", problems)

    me.get_by_role("link", name=f"Loan {loan['id']}").click()
    photo = tmp_path / "roof.png"
    photo.write_bytes(PNG)
    me.get_by_label("Amount").fill("20000")
    me.get_by_label("What the money is for").fill("New roof")
    me.get_by_label("Photos of the work").set_input_files(str(photo))
    me.get_by_role("button", name="Send draw request").click()
    expect(me.get_by_text("Your draw request was sent")).to_be_visible()
    expect(me.get_by_role("link", name="roof.png")).to_be_visible()
    expect(me.locator(".draw-status").first).to_have_text("requested")

    # The owner reviews the photo and approves and funds the draw.
    photos = lender.api("GET", "/photos?draw_id=1", None)
    assert [p["name"] for p in photos] == ["roof.png"]
    owner.goto(server.url + photos[0]["url"])
    today = utcnow().date().isoformat()
    for action in ("approve", "fund"):
        lender.api("POST", f"/draws/1/{action}", {"date": today})

    me.reload()
    expect(me.locator(".draw-status").first).to_have_text("funded")
    expect(me.locator(".draw-step")).to_have_text([f"approved {today}", f"funded {today}"])
    expect(me.locator("#balance")).to_have_text("170,000.00")
    fits(me, "lending-portal-loan", problems)

    with me.expect_download() as waiting:
        me.get_by_role("button", name="Download payoff letter (PDF)").click()
    pdf = Path(waiting.value.path()).read_bytes()
    total = lender.api("GET", f"/loans/{loan['id']}/payoff?as_of={today}", None)
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    assert f"{float(total['total']):,.2f} USD" in text
    assert "Payoff letter - loan" in text
    assert not problems, problems
