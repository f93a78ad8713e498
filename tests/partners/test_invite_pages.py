"""Portal invitations through HTTP: the owner makes a link, the partner sets their own password."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from evergreen.accounts.models import User
from evergreen.db import Database
from evergreen.partners import service
from evergreen.partners.rules.invite_token import invite_token
from tests.conftest import TEST_SECRET
from tests.http_helpers import PASSWORD, csrf_from, sign_in

_URL = re.compile(r'id="invite-url">([^<]+)<')


def _partner(db: Database, email: str = "ana@blog.example", status: str = "pending") -> int:
    with db.session() as session:
        program = service.default_program(session)
        return service.create_partner(session, program, name="Ana", email=email, status=status).id


def _invite(client: TestClient, partner_id: int, *, confirm: bool = False) -> Any:
    page = client.get(f"/partners/{partner_id}")
    data = {"csrf_token": csrf_from(page.text)} | ({"confirm": "yes"} if confirm else {})
    return client.post(f"/partners/{partner_id}/invite", data=data, follow_redirects=False)


def _accept(client: TestClient, path: str, password: str = PASSWORD, again: str = "") -> Any:
    """Open the link as a stranger would, then submit the password form."""
    page = client.get(path)
    token = path.split("token=", 1)[1]
    data = {"token": token, "password": password, "password_again": again or password}
    form = page.text if "csrf_token" in page.text else client.get("/login").text
    data["csrf_token"] = csrf_from(form)
    return client.post("/portal/invite", data=data, follow_redirects=False)


def _users(db: Database, email: str) -> list[str]:
    with db.session() as session:
        return list(session.scalars(select(User.role).where(User.email == email)))


@pytest.mark.both_databases
def test_an_invited_partner_sets_a_password_once_and_reaches_the_portal(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    ana = _partner(db)
    sign_in(client, people["owner"])
    assert "Invite to the portal" in client.get(f"/partners/{ana}").text
    made = _invite(client, ana)
    assert made.status_code == 200
    url = _URL.search(made.text)
    assert url, made.text
    assert url.group(1).startswith("http://testserver/portal/invite?token=")
    assert "works once, until" in made.text
    path = urlsplit(url.group(1)).path + "?" + urlsplit(url.group(1)).query

    client.cookies.clear()  # the partner's own browser
    page = client.get(path)
    assert page.status_code == 200
    assert "Set your password" in page.text
    assert "Ana" in page.text
    assert "ana@blog.example" in page.text
    differ = _accept(client, path, again="another long passphrase")
    assert differ.status_code == 400
    assert "The two passwords differ" in differ.text
    weak = _accept(client, path, password="short")
    assert weak.status_code == 400
    assert "at least 10 characters" in weak.text
    assert _users(db, "ana@blog.example") == []

    done = _accept(client, path)
    assert done.status_code == 303
    assert done.headers["location"] == "/login?next=/portal"
    assert _users(db, "ana@blog.example") == ["partner"]
    sign_in(client, "ana@blog.example")
    pending = client.get("/portal")
    assert pending.status_code == 403  # signed in; the portal explains it waits for approval
    assert "not linked to a partner yet" in pending.text
    with db.session() as session:
        service.set_status(
            session, service.get_partner(session, service.default_program(session), ana), "active"
        )
    assert client.get("/portal").status_code == 200

    client.cookies.clear()
    again = client.get(path)
    assert again.status_code == 400
    assert "An account already exists for ana@blog.example; sign in instead" in again.text
    assert _accept(client, path, password="a different long passphrase").status_code == 400
    assert _users(db, "ana@blog.example") == ["partner"]

    sign_in(client, people["owner"])
    detail = client.get(f"/partners/{ana}")
    assert "has a portal sign-in" in detail.text
    assert "Invite to the portal" not in detail.text
    assert "Reset password" in detail.text
    # Inviting again someone who signs in asks first, then gives a password-reset link instead.
    asked = _invite(client, ana)
    assert asked.status_code == 200
    assert "Make a password-reset link for Ana?" in asked.text
    assert not _URL.search(asked.text)
    reset = _invite(client, ana, confirm=True)
    assert reset.status_code == 200
    link = _URL.search(reset.text)
    assert link, reset.text
    assert link.group(1).startswith("http://testserver/account/reset?token=")
    assert "so this is a password-reset link" in reset.text


def test_only_the_owner_can_make_an_invitation(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    ana = _partner(db)
    sign_in(client, people["staff"])
    assert "Invite to the portal" not in client.get(f"/partners/{ana}").text
    staff = _invite(client, ana)
    assert staff.status_code == 403
    assert not _URL.search(staff.text)
    client.cookies.clear()
    token = csrf_from(client.get("/login").text)
    anonymous = client.post(f"/partners/{ana}/invite", data={"csrf_token": token})
    assert anonymous.status_code == 200  # followed to the sign-in page
    assert anonymous.url.path == "/login"
    sign_in(client, people["partner"])
    partner = client.post(
        f"/partners/{ana}/invite", data={"csrf_token": token}, follow_redirects=False
    )
    assert partner.status_code == 403
    public = client.get("/portal/invite")  # a public page: no token, a page saying why
    assert public.status_code == 400


def test_expired_altered_or_stale_links_say_what_to_do(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    ana = _partner(db)
    now = datetime.now(UTC)
    expired = invite_token(TEST_SECRET, ana, "ana@blog.example", now - timedelta(minutes=1))
    fresh = invite_token(TEST_SECRET, ana, "ana@blog.example", now + timedelta(days=1))
    altered = fresh[:-2] + ("AA" if not fresh.endswith("AA") else "BB")
    gone = invite_token(TEST_SECRET, ana + 99, "ana@blog.example", now + timedelta(days=1))
    cases = {
        expired: "This invitation has expired; ask the program owner for a new one",
        altered: "This link is not valid",
        "": "This link is not valid",
        gone: "This invitation no longer matches a partner; ask for a new one",
    }
    for token, message in cases.items():
        page = client.get("/portal/invite", params={"token": token})
        assert page.status_code == 400, token
        assert message in page.text
        posted = _accept(client, f"/portal/invite?token={token}")
        assert posted.status_code == 400
        assert message in posted.text
    assert _users(db, "ana@blog.example") == []
    forged = client.post("/portal/invite", data={"token": fresh, "password": PASSWORD})
    assert forged.status_code == 403  # no CSRF token: refused before anything is read
    assert _users(db, "ana@blog.example") == []

    sign_in(client, people["owner"])
    suspended = _partner(db, "sam@blog.example", status="suspended")
    assert "suspended" in _invite(client, suspended).text
