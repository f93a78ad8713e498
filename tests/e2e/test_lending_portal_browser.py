"""The borrower portal in Chromium: the owner makes a loan (API) and invites the borrower on the
invitation page; the borrower sets a password, signs in, requests a draw with a photo; the owner
approves and funds it (API); the borrower downloads a payoff letter whose text holds the total.
Each page is screenshot at 390 px and 1280 px and must fit the screen."""

from __future__ import annotations

import json
import re
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from evergreen.db import utcnow
from tests.e2e.conftest import ARTIFACTS, MEASURE, Server
from tests.lending.pdftext import pdf_text

pytestmark = pytest.mark.browser
PASSWORD = "a long enough passphrase"
OWNER = "owner@example.com"
BORROWER = "ann@rehab.example"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _api(server: Server, token: str, method: str, path: str, body: dict[str, Any] | None) -> Any:
    request = urllib.request.Request(
        server.url + "/api/v1/lending" + path,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method=method,
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status in (200, 201), path
        return json.loads(response.read())


def _fits(page: Any, name: str, problems: list[str]) -> None:
    """Screenshot the page at 1280 and 390 px; note it when wider than the screen."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 844})
        page.evaluate("window.scrollTo(0, 0)")  # the draw's redirect lands on #draws
        seen = page.evaluate(MEASURE)
        page.screenshot(path=str(ARTIFACTS / f"lending-portal-{name}-{width}.png"), full_page=True)
        if seen["scroll"] > seen["width"] or seen["covered"]:
            problems.append(f"{name} at {width}px: {seen['scroll']}px wide {seen['wide']}")
    page.set_viewport_size({"width": 1280, "height": 844})


def test_borrower_invited_requests_a_draw_with_a_photo_and_downloads_a_payoff_letter(
    server: Server, browser: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    server.cli("init", "--email", OWNER, "--password-stdin", password=PASSWORD)
    found = re.search(r"evg_\S+", server.cli("token", "create", "--email", OWNER))
    assert found, "no token printed"
    token = found.group(0)
    ann = _api(server, token, "POST", "/borrowers",
               {"name": "Ann Rehab", "kind": "llc", "email": BORROWER})  # fmt: skip
    start = (utcnow().date() - timedelta(days=20)).isoformat()
    loan = _api(server, token, "POST", "/loans", {
        "borrower": "Ann Rehab", "principal": "150000", "annual_rate": "12%", "months": 12,
        "start": start, "commitment": "50000"})  # fmt: skip
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
        owner.goto(f"{server.url}/lending/borrowers/{ann['id']}/invite")
        owner.get_by_role("button", name="Make invitation link").click()
        link = owner.locator("#invite-link").input_value()
        assert "/borrower/invite?token=" in link
        _fits(owner, "invite", problems)

        me = borrower_context.new_page()
        me.goto(link)
        expect(me.get_by_role("heading", name="Set your password")).to_be_visible()
        me.get_by_label("Password", exact=True).fill(PASSWORD)
        me.get_by_label("Password again").fill(PASSWORD)
        me.get_by_role("button", name="Set password").click()
        me.wait_for_url(re.compile(r"/login"))
        me.get_by_label("Email").fill(BORROWER)
        me.get_by_label("Password").fill(PASSWORD)
        me.get_by_role("button", name="Sign in").click()
        me.wait_for_url(re.compile(r"/borrower$"))
        expect(me.get_by_role("heading", name="Hello, Ann Rehab")).to_be_visible()
        _fits(me, "loans", problems)

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
        photos = _api(server, token, "GET", "/photos?draw_id=1", None)
        assert [p["name"] for p in photos] == ["roof.png"]
        owner.goto(server.url + photos[0]["url"])
        today = utcnow().date().isoformat()
        for action in ("approve", "fund"):
            _api(server, token, "POST", f"/draws/1/{action}", {"date": today})

        me.reload()
        expect(me.locator(".draw-status").first).to_have_text("funded")
        expect(me.locator(".draw-step")).to_have_text([f"approved {today}", f"funded {today}"])
        expect(me.locator("#balance")).to_have_text("170,000.00")
        _fits(me, "loan", problems)

        with me.expect_download() as waiting:
            me.get_by_role("button", name="Download payoff letter (PDF)").click()
        pdf = Path(waiting.value.path()).read_bytes()
        total = _api(server, token, "GET", f"/loans/{loan['id']}/payoff?as_of={today}", None)
        assert pdf.startswith(b"%PDF-")
        text = pdf_text(pdf)
        assert f"{float(total['total']):,.2f} USD" in text
        assert "Payoff letter - loan" in text
    finally:
        owner_context.close()
        borrower_context.close()
    assert not problems, problems
