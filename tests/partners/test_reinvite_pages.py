"""Inviting a partner again: a new link voids the old one; a partner who signs in gets a reset."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from fastapi.testclient import TestClient

from evergreen.db import Database
from evergreen.partners import service
from evergreen.web.deps import SESSION_COOKIE
from tests.http_helpers import PASSWORD, csrf_from, sign_in

NEW = "another long passphrase"
_URL = re.compile(r'id="invite-url">([^<]+)<')


def _partner(db: Database, email: str) -> int:
    with db.session() as session:
        program = service.default_program(session)
        return service.create_partner(session, program, name="Ana", email=email, status="active").id


def _invite(client: TestClient, partner_id: int, **extra: str) -> Any:
    data = {"csrf_token": csrf_from(client.get(f"/partners/{partner_id}").text), **extra}
    return client.post(f"/partners/{partner_id}/invite", data=data)


def _path(answer: Any) -> str:
    found = _URL.search(answer.text)
    assert found, answer.text
    url = urlsplit(found.group(1).replace("&amp;", "&"))
    return f"{url.path}?{url.query}"


def _set_password(client: TestClient, path: str, action: str, password: str) -> Any:
    page = client.get(path)
    data = {
        "token": path.split("token=", 1)[1],
        "password": password,
        "password_again": password,
        "csrf_token": csrf_from(page.text),
    }
    return client.post(action, data=data, follow_redirects=False)


def test_inviting_again_voids_the_earlier_link(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    ana = _partner(db, "ana@blog.example")
    sign_in(client, people["owner"])
    first = _path(_invite(client, ana))
    second_answer = _invite(client, ana)
    assert "any earlier invitation link stops working" in second_answer.text
    second = _path(second_answer)
    assert first != second

    client.cookies.clear()
    stale = client.get(first)
    assert stale.status_code == 400
    assert "A newer invitation replaced this one" in stale.text
    assert _set_password(client, second, "/portal/invite", PASSWORD).status_code == 303
    sign_in(client, "ana@blog.example")


def test_a_partner_with_an_account_gets_a_confirmed_reset_link_that_signs_them_out(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    pat = _partner(db, people["partner"])
    sign_in(client, people["partner"])
    partner_browser = client.cookies[SESSION_COOKIE]
    client.cookies.clear()
    sign_in(client, people["owner"])

    asked = _invite(client, pat)
    assert "Make a password-reset link for Ana?" in asked.text
    assert not _URL.search(asked.text)
    made = _invite(client, pat, confirm="yes")
    assert "so this is a password-reset link" in made.text
    path = _path(made)
    assert path.startswith("/account/reset?token=")

    client.cookies.clear()
    assert _set_password(client, path, "/account/reset", NEW).status_code == 303
    client.cookies.set(SESSION_COOKIE, partner_browser)
    assert client.get("/portal", follow_redirects=False).status_code == 303  # signed out
    client.cookies.clear()
    sign_in(client, people["partner"], NEW)
    assert client.get("/portal").status_code == 200
