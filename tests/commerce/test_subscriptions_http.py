"""Subscriptions over HTTP on SQLite and PostgreSQL (bank transfer): /subscribe opens one
subscription per form however often it is posted, the owner marks the first period paid and
sees it active, in the MRR page and cancels it after a confirmation; the buyer cancels and
reactivates in the buyers' area; the API lists, shows and cancels with errors for people."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient

from evergreen.commerce.rules.delivery import buyer_token
from evergreen.commerce.views.buyers import BUYER_COOKIE
from evergreen.config import Settings
from evergreen.db import Database, utcnow
from evergreen.web import create_app
from tests.commerce.subscriptions_world import make_club
from tests.conftest import TEST_SECRET
from tests.http_helpers import csrf_from, sign_in, token_for


def _hidden(page: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))


def _subscribe(client: TestClient, slug: str = "club") -> str:
    page = client.get(f"/subscribe/{slug}")
    assert page.status_code == 200
    assert "10.00 EUR a month" in page.text
    form = {**_hidden(page.text), "email": "bea@example.com", "name": "Bea", "amount": "0.01"}
    first = client.post(f"/subscribe/{slug}", data=form, follow_redirects=False)
    assert first.status_code == 303, first.text
    again = client.post(f"/subscribe/{slug}", data=form, follow_redirects=False)
    assert again.headers["location"] == first.headers["location"]  # one subscription
    return str(first.headers["location"])


def test_subscribe_pay_see_mrr_and_cancel_with_a_confirmation(
    db: Database, people: dict[str, str], settings: Settings
) -> None:
    with db.session() as session:
        make_club(session)
    with TestClient(create_app(settings, database=db)) as client:
        order_page = client.get(_subscribe(client))
        assert "bank transfer" in order_page.text
        assert "10.00 EUR" in order_page.text
        bad = client.post("/subscribe/club", data={**_hidden(client.get("/subscribe/club").text),
                                                   "email": "nope"})  # fmt: skip
        assert bad.status_code == 400
        assert "email" in bad.text
        assert client.get("/subscribe/nothing-here").status_code == 404
        sign_in(client, people["owner"])
        listed = client.get("/commerce/subscriptions?status=incomplete")
        sub_id = int(re.findall(r'/commerce/subscriptions/(\d+)"', listed.text)[0])
        detail = client.get(f"/commerce/subscriptions/{sub_id}")
        order_id = int(re.findall(r'/commerce/orders/(\d+)"', detail.text)[0])
        token = csrf_from(detail.text)
        paid = client.post(f"/commerce/orders/{order_id}/mark-paid",
                           data={"csrf_token": token, "confirm": "yes"})  # fmt: skip
        assert paid.status_code == 200
        shown = client.get(f"/commerce/subscriptions/{sub_id}")
        assert 'id="subscription-status">active<' in shown.text
        assert "start" in shown.text
        mrr = client.get("/commerce/mrr")
        assert mrr.status_code == 200
        assert 'id="mrr-EUR"' in mrr.text
        assert "<strong>10.00</strong>" in mrr.text  # the month's closing MRR
        ask = client.post(f"/commerce/subscriptions/{sub_id}/cancel",
                          data={"csrf_token": token, "when": "period_end"})  # fmt: skip
        assert "Cancel subscription" in ask.text  # the confirmation page, nothing changed yet
        assert "(ends)" not in client.get("/commerce/subscriptions").text
        confirmed = {"csrf_token": token, "when": "period_end", "confirm": "yes"}
        done = client.post(f"/commerce/subscriptions/{sub_id}/cancel", data=confirmed)
        assert done.status_code == 200
        assert "Cancelled." in done.text
        assert "(ends)" in client.get("/commerce/subscriptions").text


def _as_buyer(client: TestClient, email: str) -> None:
    cookie = buyer_token(TEST_SECRET, "buyer-session", email, utcnow() + timedelta(hours=1))
    client.cookies.set(BUYER_COOKIE, cookie)


def test_the_buyer_cancels_after_a_confirmation_and_reactivates(
    db: Database, people: dict[str, str], settings: Settings
) -> None:
    with db.session() as session:
        make_club(session)
    with TestClient(create_app(settings, database=db)) as client:
        page = client.get("/subscribe/trial-club")
        form = {**_hidden(page.text), "email": "bea@example.com", "name": "Bea"}
        started = client.post("/subscribe/trial-club", data=form)
        assert 'id="trial-started"' in started.text
        _as_buyer(client, "bea@example.com")
        account = client.get("/account")
        assert "Trial Club" in account.text
        assert "trialing" in account.text
        sub_id = int(re.findall(r"/account/subscriptions/(\d+)/cancel", account.text)[0])
        token = csrf_from(account.text)
        ask = client.post(f"/account/subscriptions/{sub_id}/cancel", data={"csrf_token": token})
        assert "Cancel your subscription?" in ask.text
        done = client.post(f"/account/subscriptions/{sub_id}/cancel",
                           data={"csrf_token": token, "confirm": "yes"})  # fmt: skip
        assert "it ends at the end of the period paid for" in done.text
        assert "Keep my subscription" in done.text
        kept = client.post(
            f"/account/subscriptions/{sub_id}/reactivate", data={"csrf_token": token}
        )
        assert "Subscription reactivated" in kept.text
        _as_buyer(client, "eve@example.com")  # another buyer: not theirs
        other = client.post(f"/account/subscriptions/{sub_id}/cancel",
                            data={"csrf_token": token, "confirm": "yes"})  # fmt: skip
        assert other.status_code == 404


def test_the_api_lists_shows_and_cancels(
    db: Database, people: dict[str, str], settings: Settings
) -> None:
    with db.session() as session:
        make_club(session)
    owner = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    staff = {"Authorization": f"Bearer {token_for(db, people['staff'])}"}
    with TestClient(create_app(settings, database=db)) as client:
        _subscribe(client)
        listed = client.get("/api/v1/commerce/subscriptions", headers=staff)
        assert listed.status_code == 200
        (row,) = listed.json()["subscriptions"]
        assert (row["status"], row["amount"], row["interval"]) == ("incomplete", "10.00", "month")
        shown = client.get(f"/api/v1/commerce/subscriptions/{row['id']}", headers=staff).json()
        assert len(shown["orders"]) == 1
        url = f"/api/v1/commerce/subscriptions/{row['id']}/cancel"
        assert client.post(url, json={}, headers=staff).status_code == 403
        refused = client.post(url, json={"at_period_end": False}, headers=owner)
        assert refused.status_code == 422  # not paid yet: nothing to cancel
        assert refused.json()["detail"][0]["loc"][-1] == "subscription"
        bad = client.get("/api/v1/commerce/subscriptions?status=bogus", headers=staff)
        assert bad.status_code == 422
        missing = client.get("/api/v1/commerce/subscriptions/99999", headers=staff)
        assert missing.status_code == 404
