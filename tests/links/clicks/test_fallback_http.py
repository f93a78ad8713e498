"""Dead short links: the link's fallback URL, else EVERGREEN_LINK_FALLBACK_URL, else a small styled
page; never a click counted."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from evergreen.config import Settings
from evergreen.db import Database
from evergreen.links import service
from evergreen.links.clicks.stats import link_stats
from evergreen.links.drafts import LinkDraft
from evergreen.web import create_app
from tests.http_helpers import csrf_from, sign_in, token_for

GLOBAL = "https://example.com/all-offers"
MINE = "https://shop.example/sold-out"
PAST = datetime.now(UTC) - timedelta(minutes=1)


def _make(db: Database, slug: str, **fields: Any) -> None:
    with db.session() as session:
        service.create_link(
            session, LinkDraft(destination="https://shop.example/book", slug=slug, **fields)
        )


def _links(db: Database) -> None:
    _make(db, "live", fallback_url=MINE)
    _make(db, "off", disabled=True)
    _make(db, "old", expires_at=PAST)
    _make(db, "off-mine", disabled=True, fallback_url=MINE)
    _make(db, "old-mine", expires_at=PAST, fallback_url=MINE)


def _clicks(client: TestClient, db: Database) -> int:
    client.app.state.links.ingest_spooled()  # type: ignore[attr-defined]
    with db.session() as session:
        return int(link_stats(session, None).to_dict()["total_clicks"])


@pytest.fixture
def global_client(settings: Settings, db: Database) -> Iterator[TestClient]:
    """The app with EVERGREEN_LINK_FALLBACK_URL set."""
    changed = settings.model_copy(update={"link_fallback_url": GLOBAL})
    with TestClient(create_app(changed, database=db)) as client:
        yield client


def test_without_fallbacks_a_dead_link_is_the_styled_page(client: TestClient, db: Database) -> None:
    _links(db)
    for path in ("/go/nope", "/go/off", "/go/old", "/go/%FF", "/go/-x"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert "no-store" in response.headers["cache-control"]
        assert response.headers["x-robots-tag"] == "noindex"
        page = response.text
        assert "<h1>This link is not available</h1>" in page
        assert '<meta name="viewport"' in page
        assert "<style>" in page
        # Self-contained: nothing to fetch (no stylesheet, script, font or image URL).
        assert not re.search(r"<(script|link|img)\b|url\(|@import|src=", page), path
    assert _clicks(client, db) == 0


def test_a_links_own_fallback_takes_the_expired_and_the_disabled(
    client: TestClient, db: Database
) -> None:
    _links(db)
    for path in ("/go/off-mine", "/go/old-mine"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 302, path
        assert response.headers["location"] == MINE
        assert "no-store" in response.headers["cache-control"]
    live = client.get("/go/live", follow_redirects=False)  # active: its destination, as ever
    assert live.headers["location"] == "https://shop.example/book"
    assert client.get("/go/nope", follow_redirects=False).status_code == 404  # no global one
    assert _clicks(client, db) == 1  # only the live link's click counts


def test_the_global_fallback_takes_every_other_dead_link(
    global_client: TestClient, db: Database
) -> None:
    _links(db)
    expected = {
        "/go/nope": GLOBAL,  # unknown
        "/go/-x": GLOBAL,  # cannot be a slug at all
        "/go/off": GLOBAL,
        "/go/old": GLOBAL,
        "/go/off-mine": MINE,  # the link's own wins
        "/go/old-mine": MINE,
        "/go/live": "https://shop.example/book",
    }
    for path, location in expected.items():
        response = global_client.get(path, follow_redirects=False)
        assert response.status_code == 302, path
        assert response.headers["location"] == location, path
    assert _clicks(global_client, db) == 1


def test_the_fallback_url_is_checked_like_a_destination_in_the_api(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    client.headers["Authorization"] = f"Bearer {token_for(db, people['staff'])}"
    body = {"destination": "https://shop.example/", "slug": "f", "fallback_url": "ftp://x.example/"}
    refused = client.post("/api/v1/links", json=body)
    assert refused.status_code == 422
    [error] = refused.json()["detail"]
    assert error["field"] == "fallback_url"
    assert error["message"] == "must start with http:// or https://"
    made = client.post("/api/v1/links", json={**body, "fallback_url": " https://shop.example/x "})
    assert made.status_code == 201, made.text
    assert made.json()["fallback_url"] == "https://shop.example/x"
    cleared = client.put("/api/v1/links/f", json={**body, "fallback_url": ""})
    assert cleared.json()["fallback_url"] is None


def test_the_fallback_url_on_the_link_form(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    sign_in(client, people["staff"])
    form = client.get("/links/new")
    assert 'name="fallback_url"' in form.text
    fields = {"destination": "https://shop.example/", "slug": "p", "forward_query": "on",
              "redirect_status": "302", "csrf_token": csrf_from(form.text)}  # fmt: skip
    bad = client.post("/links/new", data={**fields, "fallback_url": "not a url"})
    assert bad.status_code == 400
    assert 'id="error-fallback_url"' in bad.text
    good = client.post("/links/new", data={**fields, "fallback_url": MINE}, follow_redirects=False)
    assert good.status_code == 303, good.text
    edit = client.get("/links/p/edit")
    assert f'name="fallback_url" value="{MINE}"' in edit.text
