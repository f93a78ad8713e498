"""HTTP fixtures: the real app in-process, people of each role, and a signed-in client."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from evergreen.accounts import service as accounts
from evergreen.accounts.rules import Role
from evergreen.config import Settings
from evergreen.db import Database
from evergreen.web import create_app

PASSWORD = "a long enough passphrase"
_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def csrf_from(html: str) -> str:
    """The CSRF token a rendered form carries."""
    match = _CSRF.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> None:
    """Sign in through the real form, as a browser would."""
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


@pytest.fixture
def people(db: Database) -> dict[str, str]:
    """An owner, a staff member and a partner, by role."""
    emails = {
        Role.OWNER: "owner@example.com",
        Role.STAFF: "staff@example.com",
        Role.PARTNER: "partner@example.com",
    }
    with db.session() as session:
        for role, email in emails.items():
            accounts.create_user(session, email, PASSWORD, role)
    return {role.value: email for role, email in emails.items()}


@pytest.fixture
def client(settings: Settings, db: Database) -> Iterator[TestClient]:
    """A client of the real app, sharing the test's database."""
    with TestClient(create_app(settings, database=db)) as test_client:
        yield test_client


def token_for(db: Database, email: str) -> str:
    """A fresh API token for a person."""
    with db.session() as session:
        user = next(u for u in accounts.list_users(session) if u.email == email)
        _token, raw = accounts.create_token(session, user, "test")
    return raw
