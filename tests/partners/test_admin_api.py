"""Owner operations the pages offer, over the JSON API too: webhook endpoints and portal
invitations."""

from __future__ import annotations

from fastapi.testclient import TestClient

from evergreen.db import Database
from evergreen.partners import service
from tests.http_helpers import token_for


def _headers(db: Database, people: dict[str, str]) -> dict[str, dict[str, str]]:
    return {
        role: {"Authorization": f"Bearer {token_for(db, email)}"} for role, email in people.items()
    }


def test_webhook_endpoints_are_listed_paused_and_removed(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    who = _headers(db, people)
    body = {"url": "https://hooks.example/evergreen", "events": ["commission.created"]}
    assert (
        client.post("/api/v1/partners/webhooks", json=body, headers=who["staff"]).status_code == 403
    )
    created = client.post("/api/v1/partners/webhooks", json=body, headers=who["owner"])
    assert created.status_code == 201
    endpoint_id, secret = created.json()["id"], created.json()["secret"]
    assert len(secret) >= 32
    listed = client.get("/api/v1/partners/webhooks", headers=who["owner"]).json()
    assert [(e["id"], e["active"], e["recent_deliveries"]) for e in listed] == [
        (endpoint_id, True, [])
    ]
    assert "secret" not in listed[0]
    assert client.get("/api/v1/partners/webhooks", headers=who["staff"]).status_code == 403
    paused = client.post(f"/api/v1/partners/webhooks/{endpoint_id}/disable", headers=who["owner"])
    assert paused.json()["active"] is False
    resumed = client.post(f"/api/v1/partners/webhooks/{endpoint_id}/enable", headers=who["owner"])
    assert resumed.json()["active"] is True
    bad = client.post("/api/v1/partners/webhooks", json={**body, "url": "ftp://x.example/h"},
                      headers=who["owner"])  # fmt: skip
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["field"] == "url"
    gone = client.delete(f"/api/v1/partners/webhooks/{endpoint_id}", headers=who["owner"])
    assert gone.status_code == 204
    again = client.delete(f"/api/v1/partners/webhooks/{endpoint_id}", headers=who["owner"])
    assert again.status_code == 404
    assert client.get("/api/v1/partners/webhooks", headers=who["owner"]).json() == []


def test_the_owner_invites_a_partner_to_the_portal_over_the_api(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    who = _headers(db, people)
    partner = client.post(
        "/api/v1/partners", json={"name": "Bo", "email": "bo@blog.example"}, headers=who["staff"]
    ).json()
    url = f"/api/v1/partners/{partner['id']}/invite"
    assert client.post(url, headers=who["staff"]).status_code == 403
    invited = client.post(url, headers=who["owner"])
    assert invited.status_code == 201
    link = invited.json()["url"]
    assert "/portal/invite?token=" in link
    page = client.get(link.split("://", 1)[1].split("/", 1)[1].join(["/", ""]))
    assert page.status_code == 200
    assert "bo@blog.example" in page.text
    assert client.post("/api/v1/partners/9999/invite", headers=who["owner"]).status_code == 404
    assert invited.json()["kind"] == "invitation"
    # Inviting again makes a new link and voids the first one.
    again = client.post(url, headers=who["owner"])
    assert again.status_code == 201
    first_path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    assert "A newer invitation replaced this one" in client.get(first_path).text
    # The partner account of the fixtures already signs in: a password-reset link instead.
    with db.session() as session:
        program = service.default_program(session)
        existing = service.create_partner(
            session, program, name="Has", email=people["partner"], status="active"
        )
        existing_id = existing.id
    reset = client.post(f"/api/v1/partners/{existing_id}/invite", headers=who["owner"])
    assert reset.status_code == 201
    assert reset.json()["kind"] == "password_reset"
    assert "/account/reset?token=" in reset.json()["url"]
