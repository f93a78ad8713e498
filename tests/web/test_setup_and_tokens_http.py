"""First-run setup, API tokens and people pages over HTTP."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from evergreen.accounts.views import setup_token
from evergreen.db import Database
from tests.conftest import TEST_SECRET
from tests.http_helpers import PASSWORD, csrf_from, sign_in, token_for


@pytest.mark.both_databases
def test_setup_creates_the_owner_once(client: TestClient) -> None:
    token = setup_token(TEST_SECRET)
    page = client.get(f"/setup?token={token}")
    assert page.status_code == 200
    form = {
        "token": token,
        "email": "me@example.com",
        "password": PASSWORD,
        "password_again": PASSWORD,
        "csrf_token": csrf_from(page.text),
    }
    mismatch = client.post("/setup", data={**form, "password_again": "different value!"})
    assert mismatch.status_code == 400
    assert "The two passwords differ" in mismatch.text
    weak = client.post("/setup", data={**form, "password": "short", "password_again": "short"})
    assert weak.status_code == 400
    assert "at least 10 characters" in weak.text
    wrong_token = client.post("/setup", data={**form, "token": "guess"})
    assert wrong_token.status_code == 403
    done = client.post("/setup", data=form, follow_redirects=False)
    assert done.status_code == 303
    assert "<h1>Dashboard</h1>" in client.get("/").text
    # Setup is closed for good once an owner exists.
    assert (
        client.get(f"/setup?token={token}", follow_redirects=False).headers["location"] == "/login"
    )


@pytest.mark.both_databases
def test_token_page_shows_a_new_token_once_and_it_works(
    client: TestClient, people: dict[str, str]
) -> None:
    sign_in(client, people["staff"])
    page = client.get("/account/tokens")
    created = client.post(
        "/account/tokens", data={"name": "report script", "csrf_token": csrf_from(page.text)}
    )
    assert created.status_code == 200
    raw = created.text.split('id="new-token">', 1)[1].split("<", 1)[0]
    assert raw.startswith("evg_")
    again = client.get("/account/tokens")
    assert raw not in again.text
    assert "report script" in again.text
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    assert me.json()["email"] == people["staff"]


def test_token_api_create_list_revoke(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    headers = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    invalid = client.post("/api/v1/tokens", json={"name": ""}, headers=headers)
    assert invalid.status_code == 422
    assert invalid.json()["detail"][0]["field"] == "name"
    created = client.post("/api/v1/tokens", json={"name": "ci"}, headers=headers)
    assert created.status_code == 201
    body = created.json()
    assert body["token"].startswith("evg_")
    listed = client.get("/api/v1/tokens", headers=headers).json()
    assert "token" not in listed[0]
    assert {t["name"] for t in listed} == {"test", "ci"}
    revoked = client.delete(f"/api/v1/tokens/{body['id']}", headers=headers)
    assert revoked.json()["revoked_at"] is not None
    new_headers = {"Authorization": f"Bearer {body['token']}"}
    assert client.get("/api/v1/me", headers=new_headers).status_code == 401
    assert client.delete("/api/v1/tokens/99999", headers=headers).status_code == 404


def test_owner_adds_staff_from_settings(client: TestClient, people: dict[str, str]) -> None:
    sign_in(client, people["owner"])
    page = client.get("/settings")
    token = csrf_from(page.text)
    bad = client.post(
        "/settings/users",
        data={
            "email": "new@example.com",
            "password": "short",
            "role": "staff",
            "csrf_token": token,
        },
    )
    assert bad.status_code == 400
    assert "at least 10 characters" in bad.text
    owner_role = client.post(
        "/settings/users",
        data={"email": "x@example.com", "password": PASSWORD, "role": "owner", "csrf_token": token},
    )
    assert "Role must be staff or partner." in owner_role.text
    ok = client.post(
        "/settings/users",
        data={
            "email": "new@example.com",
            "password": PASSWORD,
            "role": "staff",
            "csrf_token": token,
        },
    )
    assert ok.status_code == 200
    assert "new@example.com" in ok.text


def test_openapi_document_is_served(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    assert "/api/v1/me" in spec["paths"]
    assert "HTTPBearer" in spec["components"]["securitySchemes"]


def test_revoking_an_unknown_token_on_the_page_is_a_404(
    client: TestClient, people: dict[str, str]
) -> None:
    sign_in(client, people["staff"])
    token = csrf_from(client.get("/account/tokens").text)
    missing = client.post("/account/tokens/99999/revoke", data={"csrf_token": token})
    assert missing.status_code == 404
    assert "No API token with id 99999." in missing.text


def test_token_page_refuses_an_empty_name_beside_the_form(
    client: TestClient, people: dict[str, str]
) -> None:
    sign_in(client, people["staff"])
    token = csrf_from(client.get("/account/tokens").text)
    refused = client.post("/account/tokens", data={"name": "  ", "csrf_token": token})
    assert refused.status_code == 400
    assert "Token name must be 1 to 100 characters." in refused.text
    assert 'id="new-token"' not in refused.text


def test_account_operation_ids_are_explicit(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    ids = {
        (path, method): operation["operationId"]
        for path, methods in spec["paths"].items()
        for method, operation in methods.items()
    }
    assert ids[("/api/v1/me", "get")] == "get_current_user"
    assert ids[("/api/v1/tokens", "post")] == "create_token"
    assert ids[("/api/v1/tokens/{token_id}", "delete")] == "revoke_token"
    assert len(set(ids.values())) == len(ids)


def test_nobody_revokes_someone_elses_token_and_asking_is_a_clear_404(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    owner_token = token_for(db, people["owner"])
    owner = {"Authorization": f"Bearer {owner_token}"}
    staff = {"Authorization": f"Bearer {token_for(db, people['staff'])}"}
    owner_token_id = client.get("/api/v1/tokens", headers=owner).json()[0]["id"]
    # Tokens are personal (accounts.revoke_token): not even the owner revokes another's.
    refused = client.delete(f"/api/v1/tokens/{owner_token_id}", headers=staff)
    assert refused.status_code == 404
    assert refused.json() == {"detail": f"No API token with id {owner_token_id}."}
    sign_in(client, people["staff"])
    page = client.get("/account/tokens")
    posted = client.post(
        f"/account/tokens/{owner_token_id}/revoke", data={"csrf_token": csrf_from(page.text)}
    )
    assert posted.status_code == 404
    assert f"No API token with id {owner_token_id}." in posted.text
    assert client.get("/api/v1/me", headers=owner).status_code == 200  # still works
