"""The links JSON API over HTTP: refusals name their field, missing links are 404, stable IDs."""

from __future__ import annotations

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
