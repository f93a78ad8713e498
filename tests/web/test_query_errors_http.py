"""Every 422 for a bad query parameter names it where it was sent: `loc: ["query", name]`.

An area that checks a filter or a date by hand raises an InputError; its answer said
`["body", name]` for a GET that has no body, so a client looked for the mistake in the wrong
place. The walk covers every GET route of the API document, so a new route cannot skip it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from evergreen.db import Database
from tests.http_helpers import token_for


def _schema(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """The parameter's own schema: a `$ref` followed, an optional's non-null branch."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return _schema(document, document["components"]["schemas"][name])
    for branch in schema.get("anyOf", ()):
        if branch.get("type") != "null":
            return _schema(document, branch)
    return schema


def _bad(schema: dict[str, Any]) -> str:
    """A value the parameter cannot take (a NUL for free text, which some areas refuse)."""
    if "enum" in schema:
        return "not-one-of-them"
    return {"integer": "ten", "number": "ten", "boolean": "maybe"}.get(
        schema.get("type", ""), "a\x00b"
    )


def _good(document: dict[str, Any], parameter: dict[str, Any]) -> str:
    """A value a required parameter takes, so that only the bad one is refused."""
    schema = _schema(document, parameter["schema"])
    examples = [parameter.get("example"), *schema.get("examples", ()), *schema.get("enum", ())]
    given = next((example for example in examples if example is not None), None)
    if given is not None:
        return str(given)
    return {"integer": "1", "number": "1"}.get(schema.get("type", ""), "UTC")


Query = tuple[str, dict[str, str], str, bool]


def _bad_queries(document: dict[str, Any]) -> list[Query]:
    """(address, query, the bad parameter, whether the address names a row) for every GET
    route's query parameters, one bad value each beside good values for the required others."""
    found = []
    for path, item in document["paths"].items():
        operation = item.get("get")
        if operation is None:
            continue
        parameters = operation.get("parameters", [])
        names_a_row = any(p["in"] == "path" for p in parameters)
        address = path
        for parameter in parameters:
            if parameter["in"] == "path":
                address = address.replace("{" + parameter["name"] + "}", "1")
        asked = [p for p in parameters if p["in"] == "query"]
        required = {p["name"]: _good(document, p) for p in asked if p.get("required")}
        for parameter in asked:
            name = parameter["name"]
            query = {**required, name: _bad(_schema(document, parameter["schema"]))}
            found.append((address, query, name, names_a_row))
    return found


@pytest.mark.both_databases
def test_every_bad_query_parameter_is_named_as_a_query_parameter(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    from evergreen.ledger import service as ledger
    from evergreen.ledger.rules import StreamKind

    with db.session() as session:  # row 1 of the ledger's streams: its reports' checks answer
        ledger.add_stream(session, ledger.StreamDraft("Blog", StreamKind.OTHER), date.today())
    owner = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    queries = _bad_queries(client.get("/api/openapi.json").json())
    assert len(queries) > 60
    wrong: list[str] = []
    refused = 0
    for address, query, name, names_a_row in queries:
        answer = client.get(address, params=query, headers=owner)
        if answer.status_code == 404 and names_a_row:
            continue  # row 1 is not there; the address's own checks answer first
        if answer.status_code < 300:
            continue  # free text that takes a NUL as it is
        detail = answer.json().get("detail") if answer.status_code == 422 else None
        if not isinstance(detail, list) or [d["loc"] for d in detail] != [["query", name]]:
            wrong.append(f"{address} {query!r}: {answer.status_code} {answer.text[:160]}")
        elif [d["field"] for d in detail] != [name]:
            wrong.append(f"{address}?{name}: field {[d['field'] for d in detail]}")
        refused += 1
    assert wrong == []
    assert refused > 50


@pytest.mark.both_databases
def test_a_nul_in_any_query_parameter_of_a_page_is_refused_not_a_500(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    """Pages read some parameters themselves (a checkout's coupon, a stream's period, a form's
    fields), so the check of declared parameters alone let a NUL reach the database; an
    address other systems call still takes the parameters it does not declare as they came."""
    pages = ["/login", "/ledger", "/ledger/streams/1", "/buy/a-book", "/f/join", "/w/class",
             "/subscribe/plan", "/partners", "/lending"]  # fmt: skip
    for page in pages:
        answer = client.get(page, params={"coupon": "a\x00b", "from": "a\x00b"})
        assert answer.status_code in (400, 422), (page, answer.status_code)
        assert "NUL" in answer.text
    theirs = client.get("/api/v1/networks/1/postback", params={"sub9": "a\x00b"})
    assert theirs.status_code != 422  # not refused for a parameter the route does not read
