"""HTTP test helpers: people of each role, a client of the real app, signing in, tokens."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from evergreen.accounts import service as accounts
from evergreen.db import Database

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


def token_for(db: Database, email: str) -> str:
    """A fresh API token for a person."""
    with db.session() as session:
        user = next(u for u in accounts.list_users(session) if u.email == email)
        _token, raw = accounts.create_token(session, user, "test")
    return raw
