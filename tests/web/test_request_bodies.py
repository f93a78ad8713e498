"""Every JSON body of the API refuses a field it does not know, except the few that systems we
do not control send: walked in the API document (what clients read) and in the app's routes
(what the app runs, routes left out of the document included)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, TypeAdapter, ValidationError

from evergreen.config import Settings
from evergreen.isodates import temporal_kind
from evergreen.web import create_app
from evergreen.web.bodies import RequestBody, ThirdPartyBody
from evergreen.web.deps import MAX_ID
from tests.conftest import TEST_SECRET

# The bodies a sender we cannot update posts; they ignore extra fields (web/bodies.ThirdPartyBody).
LENIENT = {
    # Someone's own HTML page posts the sign-up; it may send more than the form asks.
    ("POST", "/api/v1/public/forms/{slug}"),
    # Copies of the software already sold call these and cannot all be updated.
    ("POST", "/api/v1/licenses/activate"),
    ("POST", "/api/v1/licenses/validate"),
    ("POST", "/api/v1/licenses/deactivate"),
}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The app, never started: its routes and document need no database."""
    folder = tmp_path_factory.mktemp("bodies")
    settings = Settings(
        env="test",
        data_dir=folder,
        database_url=f"sqlite:///{folder / 'unused.db'}",
        secret_key=TEST_SECRET,  # type: ignore[arg-type]
    )
    return create_app(settings, background=False)


def _objects(schema: Any, defs: dict[str, Any], seen: set[str]) -> Iterator[tuple[str, Any]]:
    """Every object schema with declared fields reachable from `schema`, by name (or 'inline')."""
    if isinstance(schema, list):
        for item in schema:
            yield from _objects(item, defs, seen)
        return
    if not isinstance(schema, dict):
        return
    ref = schema.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        if name not in seen:
            seen.add(name)
            target = defs[name]
            if "properties" in target:
                yield name, target
            yield from _objects(target, defs, seen)
        return
    if "properties" in schema and "title" not in schema:
        yield "inline", schema
    for key, value in schema.items():
        if key != "$defs":
            yield from _objects(value, defs, seen)


def _lenient_fields(schema: Any, defs: dict[str, Any]) -> list[str]:
    """The models under a body schema that would drop an unknown field silently."""
    return sorted(
        name
        for name, found in _objects(schema, defs, set())
        if found.get("additionalProperties") is not False
    )


def _json_bodies(document: dict[str, Any]) -> Iterator[tuple[tuple[str, str], Any]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                yield (method.upper(), path), content["application/json"]["schema"]


def test_every_json_body_in_the_document_says_additional_properties_false(app: Any) -> None:
    document = app.openapi()
    defs = document["components"]["schemas"]
    bodies = dict(_json_bodies(document))
    assert len(bodies) > 100  # the walk reaches the API, not an empty document
    assert set(bodies) >= LENIENT, sorted(LENIENT - set(bodies))
    lax = {where: _lenient_fields(schema, defs) for where, schema in bodies.items()}
    forgotten = {where: names for where, names in lax.items() if names and where not in LENIENT}
    assert not forgotten, f"derive these from web.bodies.RequestBody: {forgotten}"
    # The allow-list stays true: each of its bodies really accepts what it does not know.
    assert all(lax[where] for where in LENIENT), {where: lax[where] for where in LENIENT}


def test_every_json_body_the_app_runs_refuses_unknown_fields(app: Any) -> None:
    """Routes the document does not show (one shadowed by another on the same path) too."""
    checked = 0
    for context in iter_route_contexts(app.router.routes):
        route = context.route
        if not (isinstance(route, APIRoute) and route.body_field is not None):
            continue
        if not context.path.startswith("/api/") or _is_form(route):
            continue
        for method in context.methods or ():
            where = (method, context.path)
            annotation = route.body_field.field_info.annotation
            schema = TypeAdapter(annotation).json_schema()
            lax = _lenient_fields(schema, schema.get("$defs", {}))
            if where in LENIENT:
                assert issubclass(annotation, ThirdPartyBody), where
            else:
                assert not lax, (where, lax)
            checked += 1
    assert checked > 100


def _is_form(route: APIRoute) -> bool:
    """A multipart or form body (an upload), which is not JSON."""
    from fastapi.params import Form

    return any(isinstance(param.field_info, Form) for param in route.dependant.body_params)


def test_the_two_kinds_differ_only_in_what_they_do_with_an_unknown_field() -> None:
    class Strict(RequestBody):
        name: str

    class Lenient(ThirdPartyBody):
        name: str

    assert Lenient.model_validate({"name": "a", "partner_id": 3}).model_dump() == {"name": "a"}
    with pytest.raises(ValueError, match="partner_id"):
        Strict.model_validate({"name": "a", "partner_id": 3})
    assert Strict.model_json_schema()["additionalProperties"] is False
    assert "additionalProperties" not in Lenient.model_json_schema()


def _unbounded_ids(schema: Any, defs: dict[str, Any]) -> list[str]:
    """ID fields under a body schema with no maximum the database can store."""
    found = []
    for model, object_schema in _objects(schema, defs, set()):
        for name, prop in object_schema.get("properties", {}).items():
            options = [prop, *prop.get("anyOf", [])]
            integers = [o for o in options if o.get("type") == "integer"]
            too_big = any(float(o.get("maximum", "inf")) > MAX_ID for o in integers)
            if name.endswith("_id") and too_big:
                found.append(f"{model}.{name}")
    return found


def test_every_id_in_a_json_body_fits_the_database(app: Any) -> None:
    """An ID past 64 bits reached the database and was a 500 (OverflowError on SQLite), and one
    past 32 bits on PostgreSQL ("integer out of range")."""
    document = app.openapi()
    defs = document["components"]["schemas"]
    unbounded = {
        where: names
        for where, schema in _json_bodies(document)
        if (names := _unbounded_ids(schema, defs))
    }
    assert unbounded == {}, f"give these le=MAX_ID (evergreen.db): {unbounded}"


def _params(dependant: Dependant) -> Iterator[Any]:
    """A route's query and path parameters, its dependencies' included."""
    yield from dependant.query_params
    yield from dependant.path_params
    for sub in dependant.dependencies:
        yield from _params(sub)


def _models(annotation: Any, seen: set[type[BaseModel]]) -> Iterator[type[BaseModel]]:
    """Every model a body's type holds, nested ones and those in lists included."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return
        seen.add(annotation)
        yield annotation
        for field in annotation.model_fields.values():
            yield from _models(field.annotation, seen)
        return
    for arg in getattr(annotation, "__args__", ()):
        yield from _models(arg, seen)


def test_every_date_the_api_reads_refuses_a_number(app: Any) -> None:
    """Pydantic reads 86400 sent for a date as 1970-01-02: every day or time the API reads, in
    a body or in the query, is ISO text or a 422 naming it (evergreen.isodates)."""
    queries, models = [], set[type[BaseModel]]()
    for context in iter_route_contexts(app.router.routes):
        route = context.route
        if not (isinstance(route, APIRoute) and context.path.startswith("/api/")):
            continue
        for param in _params(route.dependant):
            if temporal_kind(param.field_info.annotation) is not None:
                _value, errors = param.validate("86400", {}, loc=("query", param.name))
                assert errors, (context.path, param.name)
                assert errors[0]["type"] == "iso_date", (context.path, param.name)
                queries.append((context.path, param.name))
        if route.body_field is not None:
            models.update(_models(route.body_field.field_info.annotation, models))
    fields = [
        (model, field.alias or name)
        for model in models
        for name, field in model.model_fields.items()
        if temporal_kind(field.annotation) is not None
    ]
    assert len(queries) >= 10
    assert len(fields) >= 15  # the walk reaches the bodies' dates
    for model, name in fields:
        for number in (0, 86400, "86400", 1.5e9, True):
            with pytest.raises(ValidationError) as info:
                model.model_validate({name: number})
            found = {error["loc"]: error for error in info.value.errors()}
            assert found[(name,)]["type"] == "iso_date", (model.__name__, name, number)
            assert "not a number" in found[(name,)]["msg"]
