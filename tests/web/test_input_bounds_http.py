"""Input the server cannot hold is refused with a 4xx on every route, never a 500: lone
surrogates in JSON bodies, and integers past what the database stores in paths and queries."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from evergreen.db import Database
from tests.http_helpers import token_for


@pytest.fixture
def owner(db: Database, people: dict[str, str]) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {token_for(db, people['owner'])}",
        "Content-Type": "application/json",
    }


def test_lone_surrogates_in_json_bodies_are_a_422_naming_the_field(
    client: TestClient, owner: dict[str, str]
) -> None:
    network = client.post("/api/v1/networks", json={"name": "Awin"}, headers=owner).json()
    postback = f"/api/v1/networks/{network['id']}/postback?secret={network['postback_secret']}"
    cases: list[tuple[str, str, bytes, str]] = [
        ("POST", "/api/v1/links", b'{"destination": "https://a.example/\\ud800"}', "destination"),
        ("POST", "/api/v1/links", b'{"destination": "https://a.example/", "utm": {"utm_source": "\\udfff"}}', "utm.utm_source"),
        ("POST", "/api/v1/networks", b'{"name": "N", "postback_mapping": {"\\udc00": "x"}}', "postback_mapping.?"),
        ("PUT", f"/api/v1/networks/{network['id']}/report-mapping", b'{"order_id": "\\ud8ff"}', "order_id"),
        ("POST", f"/api/v1/networks/{network['id']}/reports", b'{"csv": "a\\udc00"}', "csv"),
        ("POST", postback, b'{"oid": "o\\udc00", "payout": "1"}', "oid"),
        ("POST", "/api/v1/partners", b'{"name": "\\ud800", "email": "a@example.com"}', "name"),
        ("POST", "/api/v1/tokens", b'{"name": "x\\ud800"}', "name"),
    ]  # fmt: skip
    for method, url, body, field in cases:
        response = client.request(method, url, content=body, headers=owner)
        assert response.status_code == 422, (url, response.text)
        detail: Any = response.json()["detail"]
        assert detail[0]["field"] == field, (url, detail)
    # A valid pair (an emoji) and an escaped backslash are text, and pass.
    emoji = b'{"destination": "https://a.example/\\ud83d\\ude00", "slug": "smile"}'
    assert client.post("/api/v1/links", content=emoji, headers=owner).status_code == 201
