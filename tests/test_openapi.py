"""Every JSON operation has an explicit, meaningful, unique operation ID."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

_NAME = re.compile(r"^[a-z]+(_[a-z0-9]+)+$")  # verb_noun, snake case
# What FastAPI generates when a route has no operation_id: name + path + method.
_GENERATED = re.compile(r"api_v1_")


def test_operation_ids_are_explicit_unique_and_read_as_verb_noun(client: TestClient) -> None:
    document = client.get("/api/openapi.json").json()
    operations = {
        f"{method.upper()} {path}": op["operationId"]
        for path, item in document["paths"].items()
        for method, op in item.items()
    }
    assert len(operations) > 50
    generated = {where: name for where, name in operations.items() if _GENERATED.search(name)}
    assert not generated, f"no explicit operation_id: {generated}"
    names = list(operations.values())
    assert len(names) == len(set(names))
    assert all(_NAME.match(name) for name in names), [n for n in names if not _NAME.match(n)]


def test_no_two_routes_answer_the_same_method_and_path(client: TestClient) -> None:
    """The second of two routes with one method and path is never reached (the first answers),
    and the API document shows only one of them: each pair is a route nobody can call."""
    from fastapi.routing import iter_route_contexts

    seen: dict[tuple[str, str], str] = {}
    shadowed: list[str] = []
    for route in iter_route_contexts(client.app.router.routes):  # type: ignore[attr-defined]
        for method in route.methods or ():
            key = (method, route.path)
            if key in seen:
                shadowed.append(f"{method} {route.path}: {seen[key]} hides {route.name}")
            seen[key] = route.name
    assert len(seen) > 300
    assert shadowed == []
