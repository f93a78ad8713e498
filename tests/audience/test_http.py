"""The audience over HTTP: lists, subscribing with consent, search, import by upload, export,
GDPR export and erase; staff read, the owner writes, partners see nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient

from evergreen.db import Database
from tests.http_helpers import token_for

API = "/api/v1/audience"
CSV = (
    'Email Address,First Name,Last Name,TAGS\nann@example.com,Ann,Lee,"""vip"""\nbroken,Bad,Row,\n'
)


def _headers(db: Database, email: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(db, email)}"}


def test_lists_subscribers_import_export_and_erase(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    owner, staff = _headers(db, people["owner"]), _headers(db, people["staff"])
    partner = _headers(db, people["partner"])
    made = client.post(f"{API}/lists", json={"name": "News"}, headers=owner)
    assert made.status_code == 201, made.text
    news = made.json()["id"]
    assert client.post(f"{API}/lists", json={"name": "X"}, headers=staff).status_code == 403
    assert client.get(f"{API}/lists", headers=partner).status_code == 403
    body = {
        "email": "Jo@Example.com",
        "list_ids": [news],
        "source": "form",
        "form": "Footer",
        "wording": "Weekly tips",
        "ip": "203.0.113.5",
        "fields": {"country": "DE"},
    }
    joined = client.post(f"{API}/subscribers", json=body, headers=owner)
    assert joined.status_code == 201, joined.text
    person = joined.json()
    assert person["status"] == "unconfirmed"
    assert person["subscriptions"][str(news)]["confirm_token"]
    assert client.post(f"{API}/subscribers", json=body, headers=owner).status_code == 200
    bad = client.post(f"{API}/subscribers", json={**body, "email": "nope"}, headers=owner)
    assert bad.status_code == 422
    assert "email" in bad.text
    bad_zone = client.patch(
        f"{API}/subscribers/{person['id']}", json={"time_zone": "Mars/X"}, headers=owner
    )
    assert bad_zone.status_code == 422
    changed = client.patch(
        f"{API}/subscribers/{person['id']}",
        json={"add_tags": ["Buyer"], "time_zone": "Europe/Berlin"},
        headers=owner,
    ).json()
    assert (changed["tags"], changed["time_zone"]) == (["buyer"], "Europe/Berlin")
    found = client.get(f"{API}/subscribers", params={"q": "jo@", "tag": "buyer"}, headers=staff)
    assert [s["email"] for s in found.json()["subscribers"]] == ["Jo@example.com"]

    upload = client.post(
        f"{API}/imports", files={"file": ("mc.csv", CSV.encode(), "text/csv")}, headers=owner
    )
    assert upload.status_code == 200, upload.text
    shown = upload.json()
    assert (shown["format"], shown["valid"], shown["errors"][0]["line"]) == ("mailchimp", 1, 3)
    done = client.post(f"{API}/imports/{shown['import_id']}", json={"list_id": news}, headers=owner)
    assert done.json()["created"] == 1
    gone = client.post(f"{API}/imports/{shown['import_id']}", json={"list_id": news}, headers=owner)
    assert gone.status_code == 422

    exported = client.get(f"{API}/lists/{news}/export.csv", headers=owner)
    assert exported.text.splitlines()[0].startswith("email,name,status")
    assert len(exported.text.splitlines()) == 3
    counts = client.get(f"{API}/lists/{news}", headers=staff).json()["counts"]
    assert counts == {"subscribed": 1, "unconfirmed": 1}

    out = client.post(f"{API}/subscribers/{person['id']}/unsubscribe", json={}, headers=owner)
    assert out.json()["lists"] == {"News": "unsubscribed"}
    data = client.get(f"{API}/subscribers/{person['id']}/export", headers=owner).json()
    assert [e["action"] for e in data["consent"]] == ["opt_in", "opt_in", "opt_out"]  # asked twice
    assert data["consent"][0]["wording"] == "Weekly tips"
    assert client.delete(f"{API}/subscribers/{person['id']}", headers=owner).status_code == 204
    assert client.get(f"{API}/subscribers/{person['id']}", headers=staff).status_code == 404
