"""A webinar offer that sells on Evergreen's own checkout, over HTTP (SQLite and PostgreSQL): the
offer's button, its tracking link, the checkout, the paid order, and the webinar's analytics
counting that sale (the machine a course creator runs, not a conversion made up by hand)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from evergreen.commerce.models import Order
from evergreen.commerce.service import orders
from evergreen.db import Database, utcnow
from evergreen.webinars import content, registrations, service
from evergreen.webinars.analytics import webinar_analytics
from evergreen.webinars.rules import link_token
from tests.commerce.orders_world import make_shop
from tests.conftest import TEST_SECRET

CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36"


@pytest.mark.both_databases
def test_a_sale_through_the_offer_button_counts_for_the_webinar(
    client: TestClient, db: Database
) -> None:
    with db.session() as session:
        make_shop(session)
        webinar_id = service.add_webinar(
            session,
            service.WebinarDraft(
                name="demo", duration_minutes=10, schedule="jit:15", timezone="viewer",
                slug="demo",
            ),
        ).id  # fmt: skip
        content.add_offer(
            session,
            webinar_id,
            content.OfferDraft(300, "The Book", "http://testserver/buy/book", "Buy now", None),
        )
        data = registrations.RegistrationInput(email="jo@example.com", viewer_timezone="UTC")
        row = registrations.register(session, TEST_SECRET, webinar_id, data).registration
        token, start = link_token(TEST_SECRET, "room", row.id), row.session_start
    at = (start + timedelta(seconds=301)).isoformat().replace("+00:00", "Z")
    browser = {"User-Agent": CHROME}
    button = client.get(
        f"/w/demo/room/{token}/offer/1", params={"at": at}, headers=browser, follow_redirects=False
    )
    assert button.status_code == 303
    tracked = client.get(
        button.headers["location"].removeprefix("http://testserver"),
        headers=browser,
        follow_redirects=False,
    )
    assert tracked.headers["location"].startswith("http://testserver/buy/book")
    page = client.get("/buy/book", headers=browser)
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page.text))
    assert hidden["click_id"], "the checkout knows which click brought the buyer"
    posted = {**hidden, "email": "jo@example.com", "name": "Jo", "country": "FR"}
    assert client.post("/buy/book", data=posted, follow_redirects=False).status_code == 303
    client.app.state.links.ingest_spooled()  # type: ignore[attr-defined]
    with db.session() as session:
        order = session.scalars(select(Order)).one()
        assert order.click_id == hidden["click_id"]
        orders.mark_manual_paid(session, order.id, TEST_SECRET, utcnow())
    with db.session(writer=False) as session:
        figures = webinar_analytics(session, webinar_id)
    assert (figures.offer_clicks, figures.sales) == (1, 1)
