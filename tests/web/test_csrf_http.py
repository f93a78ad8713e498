"""CSRF tokens are bound to the browser's session and change when it signs in or out."""

from __future__ import annotations

from fastapi.testclient import TestClient

from evergreen.accounts.rules import SESSION_COOKIE
from evergreen.db import Database
from evergreen.web.csrf import CSRF_COOKIE
from tests.http_helpers import PASSWORD, csrf_from, sign_in


def _form_token(client: TestClient) -> str:
    return csrf_from(client.get("/account/tokens").text)


def test_the_token_and_its_cookie_change_at_sign_in_and_out(
    client: TestClient, people: dict[str, str]
) -> None:
    before = csrf_from(client.get("/login").text)
    cookie_before = client.cookies[CSRF_COOKIE]
    signed_in = client.post(
        "/login",
        data={"email": people["owner"], "password": PASSWORD, "csrf_token": before},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303
    assert client.cookies[CSRF_COOKIE] != cookie_before  # rotated with the new session
    after = _form_token(client)
    assert after != before
    # A token from before sign-in is no good in the signed-in session.
    stale = client.post("/account/tokens", data={"name": "x", "csrf_token": before})
    assert stale.status_code == 403
    assert "Form refused" in stale.text
    assert (
        client.post("/account/tokens", data={"name": "x", "csrf_token": after}).status_code == 200
    )
    cookie_signed_in = client.cookies[CSRF_COOKIE]
    assert (
        client.post("/logout", data={"csrf_token": after}, follow_redirects=False).status_code
        == 303
    )
    assert client.cookies[CSRF_COOKIE] != cookie_signed_in
    assert csrf_from(client.get("/login").text) not in (before, after)


def test_a_token_from_another_session_is_refused(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    # The attacker's own browser: a session, its CSRF cookie and the token for them.
    from evergreen.web import create_app

    with TestClient(create_app(client.app.state.settings, database=db)) as attacker:  # type: ignore[attr-defined]
        sign_in(attacker, people["staff"])
        their_token = _form_token(attacker)
        their_cookie = attacker.cookies[CSRF_COOKIE]
    sign_in(client, people["owner"])
    session = client.cookies[SESSION_COOKIE]
    own_cookie = client.cookies[CSRF_COOKIE]
    own_token = _form_token(client)
    client.cookies.clear()

    def post(csrf_cookie: str, token: str) -> int:
        cookie = f"{SESSION_COOKIE}={session}; {CSRF_COOKIE}={csrf_cookie}"
        data = {"name": "x", "csrf_token": token}
        return client.post("/account/tokens", data=data, headers={"Cookie": cookie}).status_code

    # Planting the attacker's CSRF cookie in the victim's browser (a sibling subdomain can set
    # cookies) no longer makes the attacker's token valid: it is bound to the other session.
    assert post(their_cookie, their_token) == 403
    assert post(own_cookie, their_token) == 403
    assert post(own_cookie, own_token) == 200
