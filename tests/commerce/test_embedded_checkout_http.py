"""The checkout framed on another site (the buy button): the browser withholds the SameSite CSRF
cookie there, so the form's own signature stands in for it — good for its address and two
hours, refused when changed, stale, for another product, or posted from another site."""

from __future__ import annotations

import re
import time

from fastapi.testclient import TestClient

from evergreen.config import Settings
from evergreen.db import Database
from evergreen.web import create_app
from evergreen.web.csrf import CSRF_COOKIE, PUBLIC_FORM_MAX_AGE, form_signature
from tests.commerce.orders_world import make_shop
from tests.conftest import TEST_SECRET


def _form(page: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))


def test_a_framed_checkout_posts_without_the_cookie_on_its_signature_alone(
    db: Database, settings: Settings
) -> None:
    with db.session() as session:
        make_shop(session)
    with TestClient(create_app(settings, database=db)) as client:
        hidden = _form(client.get("/buy/book?embed=1").text)
        client.cookies.delete(CSRF_COOKIE)  # what a cross-site frame's post carries: none
        posted = {**hidden, "csrf_token": "", "email": "bea@example.com", "country": "DE"}
        done = client.post("/buy/book?embed=1", data=posted, follow_redirects=False)
        assert done.status_code == 303, done.text
        assert "/buy/order/" in done.headers["location"]

        def refused(**changes: str) -> int:
            data = {**posted, "nonce": f"n{time.monotonic_ns()}", **changes}
            headers = {"Origin": changes.pop("origin")} if "origin" in changes else {}
            data.pop("origin", None)
            answer = client.post("/buy/book", data=data, headers=headers, follow_redirects=False)
            return answer.status_code

        assert refused(form_signature="") == 403
        issued, mac = hidden["form_signature"].split(".")
        assert refused(form_signature=f"{int(issued) + 1}.{mac}") == 403  # changed
        stale = int(time.time()) - PUBLIC_FORM_MAX_AGE - 60
        assert refused(form_signature=form_signature(TEST_SECRET, "/buy/book", stale)) == 403
        other = form_signature(TEST_SECRET, "/buy/workbook", int(time.time()))
        assert refused(form_signature=other) == 403  # signed for another product's form
        assert refused(origin="https://evil.example") == 403
        assert refused(form_signature="1.2.3") == 403
        assert refused(form_signature="x" * 5000) == 403
