"""A served app analyses its routes at start-up, not on the first visitor's request."""

from __future__ import annotations

from typing import Any

import fastapi.routing as fastapi_routing
import pytest
from fastapi.testclient import TestClient

from evergreen.config import Settings
from evergreen.db import Database
from evergreen.web import create_app, prepare_routes


def _analyses_during_requests(
    app: Any, monkeypatch: pytest.MonkeyPatch, paths: list[str]
) -> tuple[list[int], int]:
    """Status of each request, and how many route analyses they caused."""
    analyse = fastapi_routing.get_dependant
    calls = 0

    def counted(**arguments: Any) -> Any:
        nonlocal calls
        calls += 1
        return analyse(**arguments)

    with TestClient(app) as client:
        monkeypatch.setattr(fastapi_routing, "get_dependant", counted)
        statuses = [client.get(path).status_code for path in paths]
    return statuses, calls


# An unknown page (tries every route), the sign-in page, an API route and an unknown API path.
_PATHS = ["/no/such/page", "/login", "/api/v1/links", "/api/v1/no-such-thing"]


def test_a_prepared_app_analyses_no_route_when_asked(
    settings: Settings, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(settings, database=db)
    assert prepare_routes(app) > 300  # every page, API operation and public route of the areas
    statuses, analyses = _analyses_during_requests(app, monkeypatch, _PATHS)
    assert statuses == [404, 200, 401, 401]
    assert analyses == 0


def test_an_app_not_prepared_analyses_routes_on_its_first_requests(
    settings: Settings, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What prepare_routes saves: without it the first requests do the analysis."""
    statuses, analyses = _analyses_during_requests(
        create_app(settings, database=db), monkeypatch, _PATHS
    )
    assert statuses == [404, 200, 401, 401]
    assert analyses > 100
