"""Input the server cannot hold is refused with a 4xx on every route, never a 500: lone
surrogates in JSON bodies, and integers past what the database stores in paths and queries."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from evergreen.accounts import service as accounts
from evergreen.accounts.rules import Role
from evergreen.db import MAX_DB_INT, Database
from tests.http_helpers import PASSWORD, csrf_from, sign_in, token_for


@pytest.fixture
def owner(db: Database, people: dict[str, str]) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {token_for(db, people['owner'])}",
        "Content-Type": "application/json",
    }


@pytest.mark.both_databases
def test_lone_surrogates_in_json_bodies_are_a_422_naming_the_field(
    client: TestClient, owner: dict[str, str]
) -> None:
    network = client.post("/api/v1/networks", json={"name": "Awin"}, headers=owner).json()
    postback = f"/api/v1/networks/{network['id']}/postback?secret={network['postback_secret']}"
    nid = network["id"]
    cases: list[tuple[str, str, bytes, str]] = [
        ("POST", "/api/v1/links", b'{"destination": "https://a.example/\\ud800"}', "destination"),
        ("POST", "/api/v1/links",
         b'{"destination": "https://a.example/", "utm": {"utm_source": "\\udfff"}}',
         "utm.utm_source"),
        ("POST", "/api/v1/networks", b'{"name": "N", "postback_mapping": {"\\udc00": "x"}}',
         "postback_mapping.?"),
        ("PUT", f"/api/v1/networks/{nid}/report-mapping", b'{"order_id": "\\ud8ff"}', "order_id"),
        ("POST", f"/api/v1/networks/{nid}/reports", b'{"csv": "a\\udc00"}', "csv"),
        ("POST", "/api/v1/partners", b'{"name": "\\ud800", "email": "a@example.com"}', "name"),
        ("POST", "/api/v1/tokens", b'{"name": "x\\ud800"}', "name"),
    ]  # fmt: skip
    for method, url, body, field in cases:
        response = client.request(method, url, content=body, headers=owner)
        assert response.status_code == 422, (url, response.text)
        detail: Any = response.json()["detail"]
        assert detail[0]["field"] == field, (url, detail)
    # A network's postback is kept for review with U+FFFD in place (tests/networks/test_api.py).
    kept = client.post(postback, content=b'{"oid": "o\\udc00", "payout": "1"}', headers=owner)
    assert kept.status_code == 200, kept.text
    # A valid pair (an emoji) and an escaped backslash are text, and pass.
    emoji = b'{"destination": "https://a.example/\\ud83d\\ude00", "slug": "smile"}'
    assert client.post("/api/v1/links", content=emoji, headers=owner).status_code == 201


_TOO_BIG = (2**31, 2**63, 2**64)  # past PostgreSQL's `integer` IDs, past 64 bits


def _named(response: Any, name: str) -> bool:
    """Whether a 422 (JSON) or 400 (page) names the integer parameter that was refused."""
    if response.headers.get("content-type", "").startswith("application/json"):
        detail = response.json()["detail"]
        return isinstance(detail, list) and any(e["loc"][-1] == name for e in detail)
    return name in response.text


def _api_operations(client: TestClient) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """(method, path, parameters) of every operation in the OpenAPI document."""
    document = client.get("/api/openapi.json").json()
    return [
        (method.upper(), path, operation.get("parameters", []))
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def _is_integer(parameter: dict[str, Any]) -> bool:
    schema = parameter.get("schema", {})
    kinds = [schema.get("type")] + [s.get("type") for s in schema.get("anyOf", [])]
    return "integer" in kinds


@pytest.mark.both_databases
def test_every_api_integer_past_64_bits_is_a_422_or_404_never_a_500(
    client: TestClient, owner: dict[str, str]
) -> None:
    tried = 0
    for method, path, parameters in _api_operations(client):
        for parameter in filter(_is_integer, parameters):
            for value in _TOO_BIG:
                url = path
                for other in parameters:
                    if other["in"] != "path":
                        continue
                    given = value if other is parameter else _plain(other)
                    url = url.replace("{" + other["name"] + "}", str(given))
                query = {parameter["name"]: str(value)} if parameter["in"] == "query" else {}
                response = client.request(method, url, params=query, json={}, headers=owner)
                fits = value <= MAX_DB_INT and parameter["name"] in {"offset", "limit"}
                expected = (200, 404, 422) if fits else (404, 422)  # an offset may be 64 bits
                assert response.status_code in expected, (method, url, query, response.text)
                if response.status_code == 422:
                    assert _named(response, parameter["name"]), (method, url, query, response.text)
                tried += 1
    assert tried >= 40  # every ID in a path, limits and offsets


def _plain(parameter: dict[str, Any]) -> str:
    """A harmless value for another path parameter."""
    schema = parameter.get("schema", {})
    if "enum" in schema:
        return str(schema["enum"][0])
    return "1" if _is_integer(parameter) else "x"


@pytest.mark.both_databases
def test_every_page_integer_past_64_bits_is_refused_never_a_500(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    from fastapi.routing import iter_route_contexts

    sign_in(client, people["owner"])
    token = csrf_from(client.get("/partners").text)
    tried = 0
    portal: list[tuple[str, str]] = []  # the partner's own pages, tried as the partner below
    borrower: list[tuple[str, str]] = []  # the borrower portal's, tried as a borrower below

    def refused(method: str, path: str, token: str) -> None:
        nonlocal tried
        for value in _TOO_BIG:
            url = re.sub(r"\{\w+:int\}", str(value), path)
            url = re.sub(r"\{\w+\}", "x", url)
            data = {"csrf_token": token} if method == "POST" else None
            response = client.request(method, url, data=data, follow_redirects=False)
            assert response.status_code in (400, 404), (method, url, response.text[:500])
            tried += 1

    for context in iter_route_contexts(client.app.routes):  # type: ignore[attr-defined]
        path: str = context.path
        if path.startswith("/api/") or ":int}" not in path:
            continue
        for method in sorted(context.methods or ()):
            if path.startswith("/portal/"):
                portal.append((method, path))
            elif path.startswith("/borrower/"):
                borrower.append((method, path))
            else:
                refused(method, path, token)
    for value in _TOO_BIG:
        response = client.get("/links", params={"page": str(value)})
        assert response.status_code == 400, response.text
        assert "page" in response.text
    client.cookies.clear()
    sign_in(client, people["partner"])
    partner_token = csrf_from(client.get("/account/password").text)
    for method, path in portal:
        refused(method, path, partner_token)
    for value in _TOO_BIG:
        response = client.get("/portal/commissions", params={"page": str(value)})
        assert response.status_code == 400, response.text
        assert "page" in response.text
    client.cookies.clear()
    with db.session() as session:
        accounts.create_user(session, "borrower@example.com", PASSWORD, Role.BORROWER)
    sign_in(client, "borrower@example.com")
    borrower_token = csrf_from(client.get("/account/password").text)
    for method, path in borrower:
        refused(method, path, borrower_token)
    assert tried >= 30


@pytest.mark.both_databases
def test_an_id_in_a_body_past_64_bits_is_a_422(client: TestClient, owner: dict[str, str]) -> None:
    body = {"name": "Ana", "email": "ana@example.com", "recruited_by_id": 2**63}
    response = client.post("/api/v1/partners", json=body, headers=owner)
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "recruited_by_id"


@pytest.mark.both_databases
def test_a_stream_or_property_id_in_a_money_body_past_64_bits_is_a_422(
    client: TestClient, owner: dict[str, str]
) -> None:
    """These were a 500 (OverflowError on SQLite) before their bodies were bounded."""
    network = client.post("/api/v1/networks", json={"name": "Awin"}, headers=owner).json()
    client.post("/api/v1/lending/borrowers", json={"name": "Bo"}, headers=owner)
    loan = {
        "borrower": "Bo",
        "principal": "1000",
        "annual_rate": "0.1",
        "months": 12,
        "start": "2026-01-01",
        "property_id": 2**63,
    }
    cases: list[tuple[str, str, dict[str, Any], str]] = [
        ("POST", "/api/v1/networks", {"name": "CJ", "stream_id": 2**63}, "stream_id"),
        ("PUT", f"/api/v1/networks/{network['id']}/stream", {"stream_id": 2**64}, "stream_id"),
        ("PATCH", "/api/v1/partners/settings", {"stream_id": 2**63}, "stream_id"),
        ("POST", "/api/v1/lending/loans", loan, "property_id"),
        ("POST", "/api/v1/links", {"destination": "https://a.example/", "stream_id": 2**64},
         "stream_id"),
        ("POST", "/api/v1/webinars", {"name": "w", "duration_minutes": 30, "schedule": "jit:15",
                                      "timezone": "viewer", "list_id": 2**63}, "list_id"),
    ]  # fmt: skip
    for method, url, body, field in cases:
        response = client.request(method, url, json=body, headers=owner)
        assert response.status_code == 422, (url, response.text)
        assert [e["field"] for e in response.json()["detail"]] == [field], (url, response.text)


@pytest.mark.both_databases
@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (
            "/api/v1/audience/lists",
            b'{"name": "Readers", "description": "a\\u0000b"}',
            "description",
        ),
        ("/api/v1/funnels", b'{"name": "Launch\\u0000"}', "name"),
        ("/api/v1/sequences", b'{"name": "\\u0000Welcome", "trigger": {"kind": "list"}}', "name"),
        ("/api/v1/audience/lists", b'{"name": "R", "description": "\\\\u0000 is text"}', ""),
    ],
)
def test_a_nul_in_a_json_body_is_a_422_naming_the_field(
    client: TestClient, owner: dict[str, str], path: str, body: bytes, field: str
) -> None:
    """PostgreSQL stores no NUL in text (it was a 500 there; SQLite stored it): refused by field
    before any route runs; an escaped backslash before u0000 is plain text and passes."""
    answer = client.post(path, content=body, headers=owner)
    if not field:
        assert answer.status_code == 201, answer.text
        return
    assert answer.status_code == 422, answer.text
    [problem] = answer.json()["detail"]
    assert problem["field"] == field
    assert "NUL" in problem["message"]


def test_a_form_body_sent_where_json_or_raw_bytes_are_read_is_never_a_500(
    client: TestClient,
) -> None:
    """The app-wide NUL check keeps a body it read for routes that read their own bytes later."""
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    for body in (b"token=a&second=1", b"token=a%00&second=1"):
        beat = client.post("/w/nothing/beat", content=body, headers=form)
        assert 400 <= beat.status_code < 500, beat.text
        unsubscribe = client.post("/u/not-a-token", content=body, headers=form)
        assert 400 <= unsubscribe.status_code < 500, unsubscribe.text
