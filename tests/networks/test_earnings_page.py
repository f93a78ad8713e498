"""The affiliate-income page: networks added by the owner, postbacks shown by month and link."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from evergreen.db import Database
from tests.http_helpers import csrf_from, sign_in


def test_owner_adds_a_network_and_sees_postbacks(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    sign_in(client, people["owner"])
    page = client.get("/partners/earnings")
    assert page.status_code == 200
    assert "No earnings yet." in page.text
    bad = client.post(
        "/partners/earnings/networks", data={"name": "", "csrf_token": csrf_from(page.text)}
    )
    assert bad.status_code == 400
    assert "name:" in bad.text
    added = client.post(
        "/partners/earnings/networks",
        data={"name": "ShareSale <b>", "kind": "network", "csrf_token": csrf_from(page.text)},
    )
    assert added.status_code == 200
    assert "ShareSale &lt;b&gt;" in added.text
    match = re.search(
        r'id="postback-url">[^<]*?(/api/v1/networks/\d+/postback\?secret=\w+)', added.text
    )
    assert match
    postback = client.get(
        match.group(1) + "&subid=nope&oid=A-1&amount=100&payout=59.1&currency=USD&status=approved"
    )
    assert postback.status_code == 200
    assert postback.json()["matched"] is False
    again = client.get("/partners/earnings")
    assert "A-1" in again.text  # kept for review, never dropped
    assert "59.10 USD" in again.text  # every amount to the cent, as stored 59.1000 never shown
    assert not re.search(r"\b59\.10{2,}", again.text)
    assert "<svg" in again.text


def test_the_areas_navigation_entry_leads_to_the_income_page(
    client: TestClient, people: dict[str, str]
) -> None:
    sign_in(client, people["staff"])
    assert 'href="/networks"' in client.get("/").text
    moved = client.get("/networks", follow_redirects=False)
    assert moved.status_code == 303
    assert moved.headers["location"] == "/partners/earnings"


def test_staff_see_income_but_only_the_owner_adds_networks(
    client: TestClient, people: dict[str, str]
) -> None:
    sign_in(client, people["staff"])
    page = client.get("/partners/earnings")
    assert page.status_code == 200
    assert "Add network" not in page.text
    refused = client.post(
        "/partners/earnings/networks", data={"name": "X", "csrf_token": csrf_from(page.text)}
    )
    assert refused.status_code == 403


def test_partners_cannot_open_the_income_page(client: TestClient, people: dict[str, str]) -> None:
    sign_in(client, people["partner"])
    assert client.get("/partners/earnings").status_code == 403


def test_by_month_chart_has_one_label_per_month_series_per_currency_and_status_axis_values(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    from datetime import UTC, datetime

    from evergreen.networks import service

    sales = [  # (day, order, payout, currency, status): January in two currencies, February
        # in one, approved and pending (the ledger counts approved ones only: never one bar)
        (datetime(2026, 1, 5, tzinfo=UTC), "A-1", "12.50", "USD", "approved"),
        (datetime(2026, 1, 9, tzinfo=UTC), "A-2", "6.25", "USD", "approved"),
        (datetime(2026, 1, 20, tzinfo=UTC), "A-3", "9.00", "EUR", "approved"),
        (datetime(2026, 2, 2, tzinfo=UTC), "A-4", "30.00", "USD", "approved"),
        (datetime(2026, 2, 9, tzinfo=UTC), "A-5", "7.00", "USD", "pending"),
    ]
    with db.session() as session:
        network, _secret = service.create_network(session, "Impact")
        for when, order, payout, currency, status in sales:
            params = {"oid": order, "payout": payout, "currency": currency, "status": status}
            service.receive_postback(session, network, params, when)
    sign_in(client, people["owner"])
    html = client.get("/partners/earnings").text
    chart = html[
        html.index('id="month-chart"') : html.index("</figure>", html.index("month-chart"))
    ]
    x_labels = re.findall(r'<text class="axis x"[^>]*>([^<]+)</text>', chart)
    assert x_labels == ["2026-01", "2026-02"]  # each month once, never a label per currency
    legend = re.findall(r'<span class="key s\d"></span>([^<]+)</li>', chart)
    assert legend == ["EUR approved", "USD approved", "USD pending"]
    bars = re.findall(r"<title>([^<]+)</title>\s*<rect class=\"(s\d)\"", chart)
    assert bars == [
        ("2026-01 · EUR approved: 9.00", "s0"),
        ("2026-01 · USD approved: 18.75", "s1"),
        ("2026-02 · USD approved: 30.00", "s1"),
        ("2026-02 · USD pending: 7.00", "s2"),
    ]  # fmt: skip; January's USD and EUR are two bars, never one sum
    values = re.findall(r'<text class="value"[^>]*>([^<]+)</text>', chart)
    assert values == ["9.00", "18.75", "30.00", "7.00"]
    y_axis = re.findall(r'<text class="axis y"[^>]*>([^<]+)</text>', chart)
    assert y_axis == ["0", "10", "20", "30"]
    assert chart.count('<line class="grid"') == len(y_axis)


def test_the_income_page_carries_the_programs_whole_navigation(
    client: TestClient, people: dict[str, str]
) -> None:
    """The income pages sit under /partners: the owner reaches every program page from them, as
    from the partner pages themselves (the program's settings included)."""
    sign_in(client, people["owner"])
    income = client.get("/partners/earnings").text
    partners = client.get("/partners").text
    nav = re.compile(r'<nav class="subnav" aria-label="Partners">.*?</nav>', re.S)
    links = re.compile(r'href="([^"]+)"')
    income_nav, partners_nav = nav.search(income), nav.search(partners)
    assert income_nav
    assert partners_nav
    assert links.findall(income_nav.group()) == links.findall(partners_nav.group())
    assert 'href="/partners/settings"' in income_nav.group()
