"""Which stream a network, the partner program and a link belong to: the select on each page
and the optional field in each API, checked against the ledger's streams; plus the clicks of
a stream (non-money facts) read from the links' rollups."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from evergreen.db import Database
from evergreen.ledger import service as ledger
from evergreen.ledger.facts import stream_clicks
from evergreen.ledger.rules import StreamKind
from evergreen.links import service as links
from evergreen.links.clicks.ingest import ClickPolicy, ingest_records
from evergreen.links.drafts import LinkDraft
from evergreen.networks import service as networks
from evergreen.partners import service as partners
from tests.http_helpers import csrf_from, sign_in, token_for

HUMAN = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36"
BOT = "Googlebot/2.1 (+http://www.google.com/bot.html)"
DAY = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def _streams(db: Database) -> tuple[int, int]:
    with db.session() as session:
        blog = ledger.add_stream(
            session, ledger.StreamDraft("Blog", StreamKind.ARTICLES), DAY.date()
        )
        deals = ledger.add_stream(
            session, ledger.StreamDraft("Deals", StreamKind.AFFILIATE), DAY.date()
        )
        return blog.id, deals.id


def _post(client: TestClient, url: str, page: str, **data: str) -> Any:
    token = csrf_from(client.get(page).text)
    return client.post(url, data={"csrf_token": token, **data}, follow_redirects=False)


def test_the_network_page_and_api_set_its_stream(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    blog, deals = _streams(db)
    with db.session() as session:
        network_id = networks.create_network(session, "Impact", stream_id=blog)[0].id
        networks.receive_postback(
            session, networks.get_network(session, network_id),
            {"oid": "o1", "payout": "9.00", "currency": "EUR", "status": "approved"}, DAY,
        )  # fmt: skip
    sign_in(client, people["owner"])
    page = f"/partners/earnings/networks/{network_id}"
    shown = client.get(page).text
    assert '<strong id="network-stream">Blog</strong>' in shown
    assert "needs a price: EUR cannot be posted to the USD stream &#39;Blog&#39;" in shown
    saved = _post(client, f"{page}/stream", page, stream_id=str(deals))
    assert saved.status_code == 303
    assert '<strong id="network-stream">Deals</strong>' in client.get(page).text
    refused = _post(client, f"{page}/stream", page, stream_id="999")
    assert refused.status_code == 400
    assert "The stream was not saved: stream id: there is no stream 999" in refused.text
    for past in (2**31, 2**63, 10**20):  # past what an ID column holds: named, not a 500
        refused = _post(client, f"{page}/stream", page, stream_id=str(past))
        assert refused.status_code == 400
        assert f"there is no stream {past}" in refused.text
    for odd in ("\u00b2", "\u0661\u0662"):  # digits to str.isdigit, not to int: named, not a 500
        refused = _post(client, f"{page}/stream", page, stream_id=odd)
        assert refused.status_code == 400
        assert "choose a stream from the list" in refused.text
    api = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    listed = client.get("/api/v1/networks", headers=api).json()
    assert listed[0]["stream_id"] == deals
    cleared = client.put(f"/api/v1/networks/{network_id}/stream", json={"stream_id": None},
                         headers=api)  # fmt: skip
    assert cleared.json()["stream_id"] is None
    staff = {"Authorization": f"Bearer {token_for(db, people['staff'])}"}
    forbidden = client.put(f"/api/v1/networks/{network_id}/stream", json={"stream_id": blog},
                           headers=staff)  # fmt: skip
    assert forbidden.status_code == 403


def test_the_program_settings_page_and_api_set_its_stream(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    blog, deals = _streams(db)
    with db.session() as session:
        partners.default_program(session)
    sign_in(client, people["owner"])
    form = {"payout_threshold": "50", "landing_url": "", "holding_days": "30",
            "window_days": "30", "attribution_model": "last"}  # fmt: skip
    saved = _post(client, "/partners/settings", "/partners/settings", **form, stream_id=str(blog))
    assert saved.status_code == 303
    assert f'<option value="{blog}" selected>Blog</option>' in client.get("/partners/settings").text
    refused = _post(client, "/partners/settings", "/partners/settings", **form, stream_id="999")
    assert refused.status_code == 400
    assert "there is no stream 999" in refused.text
    api = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    assert client.get("/api/v1/partners/settings", headers=api).json()["stream_id"] == blog
    kept = client.patch("/api/v1/partners/settings", json={"holding_days": 10}, headers=api)
    assert kept.json()["stream_id"] == blog  # left out: kept
    moved = client.patch("/api/v1/partners/settings", json={"stream_id": deals}, headers=api)
    assert moved.json()["stream_id"] == deals
    cleared = client.patch("/api/v1/partners/settings", json={"stream_id": None}, headers=api)
    assert cleared.json()["stream_id"] is None
    bad = client.patch("/api/v1/partners/settings", json={"stream_id": 999}, headers=api)
    assert bad.status_code == 422


def test_the_link_form_and_api_set_its_stream(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    blog, deals = _streams(db)
    sign_in(client, people["staff"])
    created = _post(client, "/links/new", "/links/new", destination="https://me.example/a",
                    slug="post", stream_id=str(blog))  # fmt: skip
    assert created.status_code == 303
    edit = client.get("/links/post/edit").text
    assert f'<option value="{blog}" selected>Blog</option>' in edit
    refused = _post(client, "/links/post/edit", "/links/post/edit",
                    destination="https://me.example/a", stream_id="999")  # fmt: skip
    assert refused.status_code == 400
    assert "there is no stream 999" in refused.text
    api = {"Authorization": f"Bearer {token_for(db, people['staff'])}"}
    link = {"destination": "https://me.example/a"}
    assert client.put("/api/v1/links/post", json=link, headers=api).json()["stream_id"] == blog
    moved = client.put("/api/v1/links/post", json={**link, "stream_id": deals}, headers=api)
    assert moved.json()["stream_id"] == deals
    cleared = client.put("/api/v1/links/post", json={**link, "stream_id": None}, headers=api)
    assert cleared.json()["stream_id"] is None
    bad = client.post("/api/v1/links", json={**link, "stream_id": 999}, headers=api)
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"][-1] == "stream_id"


def _clicks(db: Database, slug: str, days: list[int], agent: str = HUMAN) -> None:
    with db.session() as session:
        link = links.get_link(session, slug)
        records = [
            {"id": f"{slug[:4]}{n:02d}{'b' if agent == BOT else 'h'}".ljust(32, "0"),
             "l": link.id, "t": (DAY + timedelta(days=d)).timestamp(), "v": f"v{n}",
             "ua": agent, "q": {}}
            for n, d in enumerate(days)
        ]  # fmt: skip
        assert ingest_records(session, records, ClickPolicy()) == len(records)


def test_a_streams_clicks_come_from_its_links_and_its_networks_links(db: Database) -> None:
    blog, deals = _streams(db)
    with db.session() as session:
        links.create_link(session, LinkDraft(destination="https://me.example/", slug="post",
                                             stream_id=blog))  # fmt: skip
        for slug in ("amz", "own-deal"):
            links.create_link(session, LinkDraft(destination="https://shop.example/", slug=slug,
                                                 kind="affiliate"))  # fmt: skip
        links.create_link(session, LinkDraft(destination="https://me.example/x", slug="other"))
        network = networks.create_network(session, "Impact", stream_id=deals)[0]
        networks.assign_link(session, network, "amz")
        networks.assign_link(session, network, "own-deal")
        links.update_link(session, "own-deal", LinkDraft(
            destination="https://shop.example/", kind="affiliate", stream_id=blog))  # fmt: skip
    _clicks(db, "post", [0, 0, 1])
    _clicks(db, "post", [0], agent=BOT)
    _clicks(db, "amz", [0, 25])
    _clicks(db, "own-deal", [2])
    _clicks(db, "other", [0, 0])
    march, april = date(2026, 3, 1), date(2026, 4, 1)
    with db.session() as session:
        daily = stream_clicks(session, blog, march, date(2026, 4, 30))
        assert [(c.period.day, c.total, c.human) for c in daily] == [(10, 3, 2), (11, 1, 1),
                                                                    (12, 1, 1)]  # fmt: skip
        monthly = stream_clicks(session, deals, march, date(2026, 4, 30), by="month")
        assert [(c.period, c.human) for c in monthly] == [(march, 1), (april, 1)]
        assert stream_clicks(session, deals, april, april) == []
