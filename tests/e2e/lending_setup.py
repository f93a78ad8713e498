"""What the lending browser tests set up the same way: an owner with an API token, a borrower
(and a loan) made through the API, the owner signed in, the invited borrower signed in to the
portal, and each page screenshot at both widths."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from tests.e2e.conftest import ARTIFACTS, MEASURE, Server

__all__ = ["BORROWER", "OWNER", "PASSWORD", "Lender", "fits", "lending"]

PASSWORD = "a long enough passphrase"
OWNER = "owner@example.com"
BORROWER = "ann@rehab.example"


@dataclass
class Lender:
    """The owner's side: the server, an API token, the borrower Ann Rehab's id, and the two
    browser contexts (the owner's and the borrower's, which accepts downloads)."""

    server: Server
    token: str
    borrower_id: int
    owner_context: Any
    borrower_context: Any

    def api(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """Call /api/v1/lending`path` with the owner's token; the JSON answer (200 or 201)."""
        request = urllib.request.Request(
            self.server.url + "/api/v1/lending" + path,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
            method=method,
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status in (200, 201), path
            return json.loads(response.read())

    def owner_page(self) -> Any:
        """A page of the owner's context, signed in on the login page."""
        owner = self.owner_context.new_page()
        owner.goto(self.server.url + "/login")
        owner.get_by_label("Email").fill(OWNER)
        owner.get_by_label("Password").fill(PASSWORD)
        owner.get_by_role("button", name="Sign in").click()
        owner.wait_for_url(re.compile(r"/$"))
        return owner

    def borrower_page(self, link: str) -> Any:
        """A page of the borrower's context: the invitation `link` followed, the password set,
        then signed in on the portal."""
        from playwright.sync_api import expect

        me = self.borrower_context.new_page()
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
        return me


@contextmanager
def lending(server: Server, browser: Any) -> Iterator[Lender]:
    """An owner (CLI) with a token, the borrower Ann Rehab (API), and two browser contexts
    (closed afterwards): tests/e2e/conftest.py's `lender` fixture."""
    server.cli("init", "--email", OWNER, "--password-stdin", password=PASSWORD)
    found = re.search(r"evg_\S+", server.cli("token", "create", "--email", OWNER))
    assert found, "no token printed"
    owner_context = browser.new_context(viewport={"width": 1280, "height": 844})
    borrower_context = browser.new_context(viewport={"width": 1280, "height": 844},
                                           accept_downloads=True)  # fmt: skip
    try:
        made = Lender(server, found.group(0), 0, owner_context, borrower_context)
        ann = made.api("POST", "/borrowers", {"name": "Ann Rehab", "kind": "llc",
                                               "email": BORROWER})  # fmt: skip
        made.borrower_id = int(ann["id"])
        yield made
    finally:
        owner_context.close()
        borrower_context.close()


def fits(page: Any, name: str, problems: list[str]) -> None:
    """Screenshot `<name>-<width>.png` at 1280 and 390 px from the top (a redirect may land on
    an anchor); note it when wider than the screen or covered by the navigation."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 844})
        page.evaluate("window.scrollTo(0, 0)")
        seen = page.evaluate(MEASURE)
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
        if seen["scroll"] > seen["width"] or seen["covered"]:
            problems.append(f"{name} at {width}px: {seen['scroll']}px wide {seen['wide']}")
    page.set_viewport_size({"width": 1280, "height": 844})
