"""Public partner sign-up: closed by default, pending until the owner approves, bots trapped."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from evergreen.config import Settings
from evergreen.db import Database
from evergreen.partners import service
from evergreen.partners.models import Partner
from evergreen.web import create_app
from tests.http_helpers import PASSWORD, csrf_from, sign_in


@pytest.fixture
def open_client(settings: Settings, db: Database) -> Iterator[TestClient]:
    """The app with partner sign-up switched on."""
    custom = settings.model_copy(update={"partner_signup": True})
    with TestClient(create_app(custom, database=db)) as test_client:
        yield test_client


def _apply(client: TestClient, **fields: str) -> str:
    page = client.get("/partners/join")
    form = {"name": "Ana", "email": "ana@blog.example", "password": PASSWORD, **fields}
    response = client.post("/partners/join", data={**form, "csrf_token": csrf_from(page.text)})
    return f"{response.status_code} {response.text}"


def _partners(db: Database) -> list[tuple[str, str]]:
    with db.session() as session:
        return [(p.email, p.status) for p in session.scalars(select(Partner))]


def test_sign_up_is_closed_unless_the_owner_opens_it(client: TestClient) -> None:
    assert client.get("/partners/join").status_code == 404


def test_an_applicant_waits_for_approval_then_sees_the_portal(
    open_client: TestClient, db: Database
) -> None:
    assert _apply(open_client).startswith("200")
    assert _partners(db) == [("ana@blog.example", "pending")]
    sign_in(open_client, "ana@blog.example")
    assert open_client.get("/portal").status_code == 403  # pending: not linked yet
    with db.session() as session:
        program = service.default_program(session)
        partner = session.scalars(select(Partner)).one()
        service.set_status(session, partner, "active")
        assert partner.program_id == program.id
    assert open_client.get("/portal").status_code == 200


def test_bad_applications_say_why_and_store_nothing(open_client: TestClient, db: Database) -> None:
    weak = _apply(open_client, password="short")
    assert weak.startswith("400")
    assert "at least 10 characters" in weak
    assert _partners(db) == []
    assert _apply(open_client, email="not-an-email").startswith("400")
    assert _partners(db) == []
    assert _apply(open_client).startswith("200")
    assert _partners(db) == [("ana@blog.example", "pending")]


def _answer(client: TestClient, **fields: str) -> tuple[int, str]:
    """The status and the page of an application, less its per-session form token."""
    page = client.get("/partners/join")
    form = {"name": "Ana", "email": "ana@blog.example", "password": PASSWORD, **fields}
    response = client.post("/partners/join", data={**form, "csrf_token": csrf_from(page.text)})
    return response.status_code, re.sub(r'value="[0-9a-f]{64}"', "", response.text)


def test_the_answer_does_not_say_whether_an_email_has_an_account(
    open_client: TestClient, db: Database, people: dict[str, str]
) -> None:
    new = _answer(open_client, email="new@blog.example")
    again = _answer(open_client, email="new@blog.example")  # already a partner and an account
    staff = _answer(open_client, email=people["staff"], password="another passphrase 2")
    owner = _answer(open_client, email=people["owner"].upper())
    assert new[0] == 200
    assert "already" not in new[1]
    assert again == new
    assert staff == new
    assert owner == new
    assert _partners(db) == [("new@blog.example", "pending")]
    sign_in(open_client, people["staff"])  # the existing account is untouched


def test_the_bot_trap_stores_nothing(open_client: TestClient, db: Database) -> None:
    assert _apply(open_client, website="http://spam.example").startswith("200")
    assert _partners(db) == []
