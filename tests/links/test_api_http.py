"""The links JSON API over HTTP: refusals name their field, missing links are 404, stable IDs."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from evergreen.db import Database
from evergreen.links import service
from evergreen.links.drafts import LinkDraft
from tests.http_helpers import token_for

API = "/api/v1/links"


@pytest.fixture
def api(client: TestClient, db: Database, people: dict[str, str]) -> TestClient:
    """The client with a staff member's API token."""
    client.headers["Authorization"] = f"Bearer {token_for(db, people['staff'])}"
    with db.session() as session:
        service.create_link(session, LinkDraft(destination="https://shop.example/", slug="book"))
    return client


def test_create_read_update_and_delete(api: TestClient) -> None:
    created = api.post(API, json={"destination": "https://shop.example/course", "slug": "course"})
    assert created.status_code == 201, created.text
    assert created.json()["short_url"].endswith("/go/course")
    assert api.get(f"{API}/course").json()["destination"] == "https://shop.example/course"
    changed = api.put(f"{API}/course", json={"destination": "https://shop.example/v2"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["destination"] == "https://shop.example/v2"
    assert api.delete(f"{API}/course").status_code == 204
    assert api.get(f"{API}/course").status_code == 404


def test_a_refused_link_names_its_field(api: TestClient) -> None:
    bad = api.post(API, json={"destination": "ftp://shop.example/"})
    assert bad.status_code == 422
    [error] = bad.json()["detail"]
    assert error["field"] == "destination"
    assert error["loc"] == ["body", "destination"]
    taken = api.post(API, json={"destination": "https://shop.example/", "slug": "book"})
    assert taken.status_code == 422
    assert taken.json()["detail"][0] == {
        "field": "slug",
        "message": "'book' is already used by another link",
        "loc": ["body", "slug"],
    }
    api.post(API, json={"destination": "https://shop.example/", "slug": "other"})
    clash = api.put(f"{API}/other", json={"destination": "https://shop.example/", "slug": "book"})
    assert clash.status_code == 422
    assert clash.json()["detail"][0]["field"] == "slug"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/nope"),
        ("DELETE", "/nope"),
        ("GET", "/nope/stats"),
        ("GET", "/nope/clicks.csv"),
        ("GET", "/nope/qr"),
    ],
)
def test_a_missing_link_is_404_with_its_slug(api: TestClient, method: str, path: str) -> None:
    response = api.request(method, API + path)
    assert response.status_code == 404
    assert response.json() == {"detail": "No link with slug 'nope'."}


def test_updating_a_missing_link_is_404(api: TestClient) -> None:
    response = api.put(f"{API}/nope", json={"destination": "https://shop.example/"})
    assert response.status_code == 404
    assert response.json() == {"detail": "No link with slug 'nope'."}


def test_every_route_has_an_explicit_operation_id(api: TestClient) -> None:
    paths = api.get("/api/openapi.json").json()["paths"]
    ids = {
        operation["operationId"]
        for path, methods in paths.items()
        if path.startswith(API)
        for operation in methods.values()
    }
    assert ids == {
        "list_links",
        "create_link",
        "create_links_bulk",
        "all_links_stats",
        "mark_agent_human",
        "export_links",
        "get_link",
        "update_link",
        "delete_link",
        "link_stats",
        "export_clicks",
        "link_qr_code",
    }


CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36"
MONITOR = "UptimeChecker/2.0 (+https://monitor.example/bot)"


def _click(api: TestClient, slug: str, user_agent: str, query: str = "") -> None:
    response = api.get(f"/go/{slug}{query}", headers={"User-Agent": user_agent},
                       follow_redirects=False)  # fmt: skip
    assert response.status_code == 302


def test_bulk_create_lands_the_good_items_and_names_each_bad_one(api: TestClient) -> None:
    body = {
        "links": [
            {"destination": "https://shop.example/a", "slug": "bulk-a", "tags": ["Spring"]},
            {"destination": "ftp://shop.example/b", "slug": "bulk-b"},
            {"destination": "https://shop.example/c", "slug": "book"},  # taken
            {"destination": "https://shop.example/d"},  # slug generated
        ]
    }
    response = api.post(f"{API}/bulk", json=body)
    assert response.status_code == 201, response.text
    result = response.json()
    created = {link["destination"]: link for link in result["created"]}
    assert set(created) == {"https://shop.example/a", "https://shop.example/d"}
    assert created["https://shop.example/a"]["tags"] == ["spring"]
    assert created["https://shop.example/a"]["short_url"] == "http://testserver/go/bulk-a"
    assert [(e["index"], e["field"]) for e in result["errors"]] == [
        (1, "destination"),
        (2, "slug"),
    ]
    assert result["errors"][1]["message"] == "'book' is already used by another link"
    assert api.get(f"{API}/bulk-a").status_code == 200
    assert api.get(f"{API}/bulk-b").status_code == 404
    assert api.post(f"{API}/bulk", json={"links": []}).status_code == 422


@pytest.mark.both_databases
def test_list_filters_and_counts(api: TestClient) -> None:
    for body in (
        {"destination": "https://a.example/", "slug": "yt", "channel": "YouTube"},
        {"destination": "https://b.example/", "slug": "letter", "tags": ["news"]},
    ):
        assert api.post(API, json=body).status_code == 201
    everything = api.get(API).json()
    assert everything["total"] == 3
    assert [link["slug"] for link in everything["items"]] == ["letter", "yt", "book"]  # newest
    assert [
        link["slug"] for link in api.get(API, params={"channel": "youtube"}).json()["items"]
    ] == ["yt"]
    assert [link["slug"] for link in api.get(API, params={"tag": "news"}).json()["items"]] == [
        "letter"
    ]
    page = api.get(API, params={"limit": 1, "offset": 1}).json()
    assert (page["total"], [link["slug"] for link in page["items"]]) == (3, ["yt"])


def test_stats_of_one_link_and_of_all(api: TestClient) -> None:
    api.post(API, json={"destination": "https://a.example/", "slug": "vid", "channel": "youtube"})
    _click(api, "book", CHROME, "?sub1=sidebar")
    _click(api, "book", CHROME)  # the same visitor again: a click, not a unique one
    _click(api, "vid", CHROME)
    _click(api, "vid", MONITOR)
    book = api.get(f"{API}/book/stats")
    assert book.status_code == 200
    assert book.json()["slug"] == "book"
    assert (book.json()["total_clicks"], book.json()["clicks"], book.json()["unique_clicks"]) == (
        2, 2, 1,
    )  # fmt: skip
    assert [(row["value"], row["clicks"]) for row in book.json()["breakdowns"]["sub1"]] == [
        ("sidebar", 1)
    ]
    overall = api.get(f"{API}/stats").json()
    assert (overall["total_clicks"], overall["clicks"]) == (4, 3)
    assert overall["non_human_by_class"] == {"bot": 1}
    channels = {row["value"]: (row["clicks"], row["total"]) for row in overall["by_channel"]}
    assert channels == {"youtube": (1, 2), "(none)": (2, 2)}
    future = api.get(f"{API}/stats", params={"start": "2999-01-01"}).json()
    assert future["total_clicks"] == 0


def test_a_user_agent_marked_human_recounts_its_past_clicks(api: TestClient) -> None:
    _click(api, "book", MONITOR)
    _click(api, "book", MONITOR)
    before = api.get(f"{API}/book/stats").json()
    assert (before["clicks"], before["non_human_by_class"]) == (0, {"bot": 2})
    changed = api.post(f"{API}/reclassify", json={"user_agent": MONITOR})
    assert changed.status_code == 200
    assert changed.json() == {"changed": 2}
    after = api.get(f"{API}/book/stats").json()
    assert (after["clicks"], after["non_human_by_class"]) == (2, {})
    assert api.post(f"{API}/reclassify", json={"user_agent": MONITOR}).json() == {"changed": 0}
    assert api.post(f"{API}/reclassify", json={"user_agent": ""}).status_code == 422


def test_exports_are_csv_with_the_documented_columns(api: TestClient) -> None:
    import csv
    import io

    from evergreen.links.formats.csvio import CLICK_COLUMNS, LINK_COLUMNS

    api.post(API, json={"destination": "https://a.example/", "slug": "evil", "title": "=1+1"})
    links = api.get(f"{API}/export.csv")
    assert links.status_code == 200
    assert links.headers["content-type"] == "text/csv; charset=utf-8"
    assert links.headers["content-disposition"] == 'attachment; filename="links.csv"'
    rows = list(csv.DictReader(io.StringIO(links.text)))
    assert list(rows[0]) == list(LINK_COLUMNS)
    assert {row["slug"]: row["destination"] for row in rows} == {
        "book": "https://shop.example/",
        "evil": "https://a.example/",
    }
    assert next(row for row in rows if row["slug"] == "evil")["title"] == "'=1+1"  # not a formula
    _click(api, "book", CHROME, "?utm_source=news")
    _click(api, "book", MONITOR)
    clicks = api.get(f"{API}/book/clicks.csv")
    assert clicks.status_code == 200
    assert clicks.headers["content-disposition"] == 'attachment; filename="book-clicks.csv"'
    click_rows = list(csv.DictReader(io.StringIO(clicks.text)))
    assert list(click_rows[0]) == list(CLICK_COLUMNS)
    assert sorted(row["class"] for row in click_rows) == ["bot", "human"]
    assert {row["slug"] for row in click_rows} == {"book"}
    assert [row["utm_source"] for row in click_rows if row["class"] == "human"] == ["news"]


def test_qr_codes_encode_the_short_url(api: TestClient) -> None:
    from evergreen.links.formats.qr import qr_png, qr_svg

    svg = api.get(f"{API}/book/qr")
    assert svg.status_code == 200
    assert svg.headers["content-type"] == "image/svg+xml"
    assert svg.content == qr_svg("http://testserver/go/book")
    png = api.get(f"{API}/book/qr", params={"format": "png"})
    assert png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert png.content == qr_png("http://testserver/go/book")
    assert api.get(f"{API}/book/qr", params={"format": "gif"}).status_code == 422


def test_an_update_replaces_the_settings_and_keeps_the_clicks(api: TestClient) -> None:
    _click(api, "book", CHROME)
    body = {
        "destination": "https://shop.example/v2",
        "title": "The book",
        "utm": {"utm_source": "blog"},
        "redirect_status": 307,
        "targets": {"countries": {"DE": "https://shop.example/de"}},
    }
    changed = api.put(f"{API}/book", json=body)
    assert changed.status_code == 200, changed.text
    saved = changed.json()
    assert (saved["slug"], saved["title"], saved["redirect_status"]) == ("book", "The book", 307)
    assert saved["utm"] == {"utm_source": "blog"}
    assert saved["targets"] == {"countries": {"DE": "https://shop.example/de"}}
    assert api.get(f"{API}/book").json()["destination"] == "https://shop.example/v2"
    # Redirects read a cache that reloads when the links table changes (checked twice a second).
    deadline, followed = time.monotonic() + 10, 0
    while True:
        follow = api.get("/go/book", headers={"User-Agent": CHROME}, follow_redirects=False)
        followed += 1
        if follow.status_code == 307 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert follow.status_code == 307
    assert follow.headers["location"] == "https://shop.example/v2?utm_source=blog"
    assert api.get(f"{API}/book/stats").json()["total_clicks"] == 1 + followed  # kept
    renamed = api.put(f"{API}/book", json={**body, "slug": "novel"})
    assert renamed.json()["short_url"] == "http://testserver/go/novel"
    assert api.get(f"{API}/book").status_code == 404
    warned = api.put(f"{API}/novel", json={**body, "redirect_status": 301})
    assert warned.json()["warnings"] == [
        "301 is cached by browsers: repeat visits skip Evergreen and their clicks are lost."
    ]


def test_delete_removes_the_link_and_its_clicks(api: TestClient, db: Database) -> None:
    from sqlalchemy import func, select

    from evergreen.links.models import Click

    _click(api, "book", CHROME)
    assert api.get(f"{API}/stats").json()["total_clicks"] == 1  # ingested, stored
    deleted = api.delete(f"{API}/book")
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert api.get(f"{API}/book").status_code == 404
    assert api.get(API).json()["total"] == 0
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Click)) == 0
    assert api.delete(f"{API}/book").status_code == 404


def test_the_links_api_needs_a_staff_token(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    assert client.get(API).status_code == 401
    partner = {"Authorization": f"Bearer {token_for(db, people['partner'])}"}
    assert client.get(API, headers=partner).status_code == 403
    one = {"links": [{"destination": "https://shop.example/p"}]}
    assert client.post(f"{API}/bulk", json=one, headers=partner).status_code == 403
    assert (
        client.post(f"{API}/reclassify", json={"user_agent": "x"}, headers=partner).status_code
        == 403
    )
    assert client.get(f"{API}/export.csv", headers=partner).status_code == 403
