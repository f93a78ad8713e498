"""Absolute URLs over HTTP: the address a request reached, a trusted proxy's forwarded host and
scheme, never an untrusted client's; EVERGREEN_BASE_URL wins over both."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from evergreen.config import Settings
from evergreen.db import Database
from evergreen.links.formats.qr import qr_svg
from evergreen.web import create_app
from tests.http_helpers import token_for

FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "money.example.com"}


@pytest.fixture
def make_client(settings: Settings, db: Database, people: dict[str, str]) -> Iterator[Any]:
    """A client of the app with some settings changed, signed in with the owner's token."""
    opened: list[TestClient] = []

    def make(**changes: Any) -> TestClient:
        client = TestClient(create_app(settings.model_copy(update=changes), database=db))
        client.__enter__()
        opened.append(client)
        client.headers["Authorization"] = f"Bearer {token_for(db, people['owner'])}"
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


def _absolute_urls(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    """Every kind of absolute URL the API hands out, asked with these headers."""
    link = client.post(
        "/api/v1/links", json={"destination": "https://shop.example/", "slug": "deal"},
        headers=headers,
    )  # fmt: skip
    assert link.status_code == 201, link.text
    qr = client.get("/api/v1/links/deal/qr", headers=headers)
    partner = client.post(
        "/api/v1/partners", json={"name": "Bo", "email": "bo@blog.example"}, headers=headers
    )
    invite = client.post(f"/api/v1/partners/{partner.json()['id']}/invite", headers=headers)
    network = client.post("/api/v1/networks", json={"name": "Awin"}, headers=headers)
    assert invite.status_code == 201, invite.text
    assert network.status_code == 201, network.text
    return {
        "short": link.json()["short_url"],
        "qr": qr.content,
        "invite": invite.json()["url"],
        "postback": network.json()["postback_url"],
    }


def test_a_trusted_proxy_decides_the_host_and_scheme(make_client: Any) -> None:
    # The test client connects as "testclient": here it is the trusted proxy.
    urls = _absolute_urls(make_client(trusted_proxies="testclient"), FORWARDED)
    assert urls["short"] == "https://money.example.com/go/deal"
    assert urls["qr"] == qr_svg("https://money.example.com/go/deal")
    assert urls["invite"].startswith("https://money.example.com/portal/invite?token=")
    assert urls["postback"].startswith("https://money.example.com/api/v1/networks/")


def test_an_untrusted_clients_forwarded_headers_are_ignored(make_client: Any) -> None:
    client = make_client(trusted_proxies="127.0.0.1")
    headers = {**FORWARDED, "Host": "evil.example"}
    urls = _absolute_urls(client, headers)
    # The socket address the server accepted the request on; TestClient calls it testserver.
    assert urls["short"] == "http://testserver/go/deal"
    assert urls["qr"] == qr_svg("http://testserver/go/deal")
    assert urls["invite"].startswith("http://testserver/portal/invite?token=")
    assert urls["postback"].startswith("http://testserver/api/v1/networks/")


def test_the_configured_base_url_wins(make_client: Any) -> None:
    client = make_client(trusted_proxies="testclient", base_url="https://go.example.org")
    urls = _absolute_urls(client, FORWARDED)
    assert urls["short"] == "https://go.example.org/go/deal"
    assert urls["invite"].startswith("https://go.example.org/portal/invite?token=")
    assert urls["postback"].startswith("https://go.example.org/api/v1/networks/")
