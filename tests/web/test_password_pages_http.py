"""Password pages over HTTP: change your own, the owner's reset links, opening a reset link."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from evergreen.accounts import service as accounts
from evergreen.accounts.models import PasswordReset
from evergreen.db import Database, utcnow
from evergreen.web.deps import SESSION_COOKIE
from tests.http_helpers import PASSWORD, csrf_from, sign_in

NEW = "another long passphrase"
_RESET_URL = re.compile(r'id="reset-url">[^<]*(/account/reset\?token=[^<]+)<')


def _change(client: TestClient, current: str, new: str, again: str | None = None) -> Any:
    page = client.get("/account/password")
    assert page.status_code == 200
    data = {
        "current_password": current,
        "password": new,
        "password_again": new if again is None else again,
        "csrf_token": csrf_from(page.text),
    }
    return client.post("/account/password", data=data, follow_redirects=False)


def _signed_in_as(client: TestClient, cookie: str) -> bool:
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, cookie)
    return client.get("/account/password", follow_redirects=False).status_code == 200


def test_changing_the_password_signs_out_the_other_browsers_only(
    client: TestClient, people: dict[str, str]
) -> None:
    sign_in(client, people["staff"])
    elsewhere = client.cookies[SESSION_COOKIE]
    client.cookies.clear()
    sign_in(client, people["staff"])
    here = client.cookies[SESSION_COOKIE]
    assert 'href="/account/password"' in client.get("/").text  # reachable from the layout

    done = _change(client, PASSWORD, NEW)
    assert done.status_code == 303
    assert done.headers["location"] == "/account/password?done=1"
    assert "Password changed" in client.get(done.headers["location"]).text
    assert _signed_in_as(client, here)
    assert not _signed_in_as(client, elsewhere)
    client.cookies.clear()
    sign_in(client, people["staff"], NEW)


def test_the_form_offers_to_revoke_the_api_tokens_and_does_only_when_ticked(
    client: TestClient, people: dict[str, str], db: Database
) -> None:
    with db.session() as session:
        raw = accounts.issue_token(session, people["staff"], "sync script")

    def works() -> bool:
        with db.session() as session:
            return accounts.user_for_token(session, raw) is not None

    sign_in(client, people["staff"])
    form = client.get("/account/password").text
    assert 'name="revoke_tokens"' in form
    assert "Also revoke my 1 API token " in form
    kept = client.get(_change(client, PASSWORD, NEW).headers["location"]).text
    assert "Your 1 API token still works" in kept
    assert works()

    page = client.get("/account/password")
    data = {
        "current_password": NEW, "password": PASSWORD, "password_again": PASSWORD,
        "revoke_tokens": "1", "csrf_token": csrf_from(page.text),
    }  # fmt: skip
    done = client.post("/account/password", data=data, follow_redirects=False)
    assert done.headers["location"] == "/account/password?done=1&revoked=1"
    shown = client.get(done.headers["location"]).text
    assert "1 API token revoked" in shown
    assert 'name="revoke_tokens"' not in shown  # nothing left to revoke
    assert not works()


def test_a_refused_change_says_what_to_fix_and_changes_nothing(
    client: TestClient, people: dict[str, str]
) -> None:
    sign_in(client, people["owner"])
    wrong = _change(client, "not the password", NEW)
    assert wrong.status_code == 400
    assert "The current password is not right." in wrong.text
    differ = _change(client, PASSWORD, NEW, NEW + "!")
    assert differ.status_code == 400
    assert "The two passwords differ" in differ.text
    weak = _change(client, PASSWORD, "short")
    assert weak.status_code == 400
    assert "Password must be at least 10 characters long." in weak.text
    client.cookies.clear()
    sign_in(client, people["owner"])  # the old password still works


def test_the_change_needs_csrf_and_a_sign_in(client: TestClient, people: dict[str, str]) -> None:
    anonymous = client.get("/account/password", follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/login?next=/account/password"
    sign_in(client, people["staff"])
    data = {"current_password": PASSWORD, "password": NEW, "password_again": NEW}
    forged = client.post("/account/password", data=data, follow_redirects=False)
    assert forged.status_code == 403
    client.cookies.clear()
    sign_in(client, people["staff"])  # unchanged


def test_a_partner_changes_their_password_from_the_portal(
    client: TestClient, people: dict[str, str]
) -> None:
    sign_in(client, people["partner"])
    page = client.get("/account/password")
    assert "Back to the partner portal" in page.text
    assert _change(client, PASSWORD, NEW).status_code == 303
    client.cookies.clear()
    sign_in(client, people["partner"], NEW)


def _reset_from_settings(client: TestClient, user_id: int, confirm: bool) -> Any:
    token = csrf_from(client.get("/settings").text)
    data = {"csrf_token": token} | ({"confirm": "yes"} if confirm else {})
    return client.post(f"/settings/users/{user_id}/reset", data=data)


def _ids(db: Database) -> dict[str, int]:
    with db.session() as session:
        return {user.role: user.id for user in accounts.list_users(session)}


def _open_reset(client: TestClient, path: str, new: str, again: str | None = None) -> Any:
    page = client.get(path)
    data = {
        "token": path.split("token=", 1)[1],
        "password": new,
        "password_again": new if again is None else again,
        "csrf_token": csrf_from(
            page.text if "csrf_token" in page.text else client.get("/login").text
        ),
    }
    return client.post("/account/reset", data=data, follow_redirects=False)


@pytest.mark.both_databases
def test_the_owner_resets_staff_after_confirming_and_the_link_works_once(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    ids = _ids(db)
    sign_in(client, people["staff"])
    staff_browser = client.cookies[SESSION_COOKIE]
    client.cookies.clear()
    sign_in(client, people["owner"])
    settings = client.get("/settings").text
    assert f"/settings/users/{ids['staff']}/reset" in settings
    assert f"/settings/users/{ids['owner']}/reset" not in settings

    asked = _reset_from_settings(client, ids["staff"], confirm=False)
    assert asked.status_code == 200
    assert "Make a password-reset link for staff@example.com?" in asked.text
    assert 'name="confirm" value="yes"' in asked.text
    assert not _RESET_URL.search(asked.text)
    made = _reset_from_settings(client, ids["staff"], confirm=True)
    found = _RESET_URL.search(made.text)
    assert found, made.text
    path = found.group(1)

    client.cookies.clear()  # the staff member's own browser
    form = client.get(path)
    assert form.status_code == 200
    assert "Choose a new password" in form.text
    assert "staff@example.com" in form.text
    differ = _open_reset(client, path, NEW, NEW + "!")
    assert differ.status_code == 400
    assert "The two passwords differ" in differ.text
    done = _open_reset(client, path, NEW)
    assert done.status_code == 303
    assert "Password set" in client.get(done.headers["location"]).text
    assert not _signed_in_as(client, staff_browser)
    client.cookies.clear()
    sign_in(client, people["staff"], NEW)

    client.cookies.clear()
    used = client.get(path)
    assert used.status_code == 400
    assert "This link was already used." in used.text
    again = _open_reset(client, path, PASSWORD)
    assert again.status_code == 400
    assert "already used" in again.text


def test_expired_unknown_and_owner_reset_links_are_refused_clearly(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    with db.session() as session:
        link = accounts.issue_reset(session, people["partner"], actor="o", base_url="http://x")
        session.execute(update(PasswordReset).values(expires_at=utcnow() - timedelta(minutes=1)))
    path = link.url.removeprefix("http://x")
    expired = client.get(path)
    assert expired.status_code == 400
    assert "This link has expired. Ask the owner for a new one." in expired.text
    assert _open_reset(client, path, NEW).status_code == 400
    unknown = client.get("/account/reset?token=made-up")
    assert unknown.status_code == 400
    assert "This link is not valid" in unknown.text
    sign_in(client, people["partner"])  # the old password still works

    client.cookies.clear()
    sign_in(client, people["owner"])
    owner = _reset_from_settings(client, _ids(db)["owner"], confirm=True)
    assert owner.status_code == 400
    assert "never through a link" in owner.text


def test_only_the_owner_makes_reset_links(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    ids = _ids(db)
    sign_in(client, people["staff"])
    token = csrf_from(client.get("/account/tokens").text)
    refused = client.post(
        f"/settings/users/{ids['partner']}/reset", data={"csrf_token": token, "confirm": "yes"}
    )
    assert refused.status_code == 403
    with db.session() as session:
        assert session.query(PasswordReset).count() == 0
