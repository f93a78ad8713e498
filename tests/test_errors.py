"""One input-error type, mapped once: JSON for the API, the form again for pages, 404/409 kept."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from starlette.responses import Response

from evergreen.accounts import service as accounts
from evergreen.accounts.models import User
from evergreen.accounts.rules import Role
from evergreen.config import Settings
from evergreen.db import Database
from evergreen.errors import Conflict, InputError, NotFound
from evergreen.web.deps import SessionDep
from evergreen.web.forms import FormPageDep

_ERRORS: dict[str, InputError] = {
    "input": InputError("amount", "must not be negative"),
    "missing": NotFound("partner_id", "No partner with id 7."),
    "clash": Conflict("commission_id", "Commission 3 is already paid."),
}

probe = APIRouter()


@probe.get("/api/v1/probe/{kind}")
def api_refusal(kind: str) -> None:
    raise _ERRORS[kind]


@probe.get("/probe/{kind}")
def page_refusal(kind: str) -> None:
    raise _ERRORS[kind]


@probe.post("/probe/form")
def form_refusal(session: SessionDep, form: FormPageDep) -> Response:
    def again(error: InputError) -> Response:
        # Built after the rollback, with the request's own session still open.
        people = session.scalar(select(func.count()).select_from(User))
        return HTMLResponse(f"<p>{error.field}: {error.message}</p><p>{people}</p>", 400)

    form.on_error(again)
    accounts.create_user(session, "kept@example.com", "a long enough passphrase", Role.STAFF)
    raise InputError("name", "is required")


@pytest.fixture
def probed(settings: Settings, db: Database) -> Iterator[TestClient]:
    """The real app with a few routes that refuse their input."""
    from evergreen.web import create_app

    app = create_app(settings, database=db)
    app.router.routes[:0] = probe.routes  # ahead of the /api/v1 fallback
    with TestClient(app) as test_client:
        yield test_client


def test_the_api_answers_422_with_the_field_and_404_409_with_the_message(
    probed: TestClient,
) -> None:
    refused = probed.get("/api/v1/probe/input")
    assert refused.status_code == 422
    assert refused.json() == {
        "detail": [
            {"field": "amount", "message": "must not be negative", "loc": ["body", "amount"]}
        ]
    }
    missing = probed.get("/api/v1/probe/missing")
    assert (missing.status_code, missing.json()) == (404, {"detail": "No partner with id 7."})
    clash = probed.get("/api/v1/probe/clash")
    assert (clash.status_code, clash.json()) == (409, {"detail": "Commission 3 is already paid."})


def test_a_page_without_its_own_form_shows_the_error_page(probed: TestClient) -> None:
    refused = probed.get("/probe/input")
    assert refused.status_code == 400
    assert "amount: must not be negative" in refused.text
    assert "Please check the form" in refused.text
    missing = probed.get("/probe/missing")
    assert missing.status_code == 404
    assert "No partner with id 7." in missing.text
    assert probed.get("/probe/clash").status_code == 409


def test_a_refused_form_is_shown_again_and_nothing_is_stored(
    probed: TestClient, db: Database
) -> None:
    refused = probed.post("/probe/form")
    assert refused.status_code == 400
    assert refused.text == "<p>name: is required</p><p>0</p>"
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 0
