"""Segments over HTTP: the API (create, read, change, delete, count with a 422 naming the
position) and the page (count, save, delete after asking), as owner and staff."""

from __future__ import annotations

from fastapi.testclient import TestClient

from evergreen.audience.rules.segments import SubscriberFacts
from evergreen.db import Database, utcnow
from tests.audience.segments.population import add_people, make_lists
from tests.http_helpers import csrf_from, sign_in, token_for


def _seed(db: Database) -> None:
    with db.session() as session:
        lists = make_lists(session, ["Weekly tips"])
        add_people(
            session,
            [
                SubscriberFacts(
                    created_at=utcnow(),
                    tags=frozenset({"buyer"}),
                    fields={"country": "DE"},
                    lists={"Weekly tips": "subscribed"},
                ),
                SubscriberFacts(created_at=utcnow(), fields={"country": "DE"}),
                SubscriberFacts(created_at=utcnow(), tags=frozenset({"buyer"})),
            ],
            lists,
        )


def test_the_api_saves_counts_and_refuses_in_words(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    _seed(db)
    staff = {"Authorization": f"Bearer {token_for(db, people['staff'])}"}
    base = "/api/v1/audience/segments"
    counted = client.post(f"{base}/count", json={"query": 'tag:buyer and field.country = "DE"'},
                          headers=staff)  # fmt: skip
    assert counted.status_code == 200
    assert counted.json() == {"count": 1}
    refused = client.post(f"{base}/count", json={"query": "tag:buyer and (field.age >"},
                          headers=staff)  # fmt: skip
    assert refused.status_code == 422
    [detail] = refused.json()["detail"]
    assert detail["field"] == "query"
    assert detail["message"].startswith("at character 27: expected a value")

    created = client.post(base, json={"name": "German buyers",
                                      "query": 'TAG:buyer AND field.country = "DE"'},
                          headers=staff)  # fmt: skip
    assert created.status_code == 201
    body = created.json()
    assert (body["query"], body["count"]) == ('tag:buyer and field.country = "DE"', 1)
    again = client.post(base, json={"name": "German buyers", "query": "tag:x"}, headers=staff)
    assert again.status_code == 409
    listed = client.get(base, params={"counts": "true"}, headers=staff).json()
    assert [(s["name"], s["count"]) for s in listed] == [("German buyers", 1)]
    path = f"{base}/{body['id']}"
    changed = client.put(path, json={"name": "Germany", "query": 'field.country = "DE"'},
                         headers=staff)  # fmt: skip
    assert (changed.status_code, changed.json()["count"]) == (200, 2)
    assert client.get(path, headers=staff).json()["name"] == "Germany"
    assert client.delete(path, headers=staff).status_code == 204
    assert client.get(path, headers=staff).status_code == 404
    assert client.post(f"{base}/count", json={"query": "tag:x"}).status_code == 401


def test_the_page_counts_saves_and_deletes(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    _seed(db)
    sign_in(client, people["staff"])
    page = client.get("/audience/segments")
    csrf = csrf_from(page.text)
    assert page.status_code == 200
    assert "tag:buyer and not clicked:30d" in page.text  # the examples
    counted = client.post("/audience/segments/count",
                          data={"csrf_token": csrf, "query": 'list:"Weekly tips"'})  # fmt: skip
    assert counted.status_code == 200
    assert "<strong>1</strong> subscriber match" in counted.text
    wrong = client.post("/audience/segments/count", data={"csrf_token": csrf, "query": "tag:"})
    assert wrong.status_code == 400
    assert "query: at character 5: expected a tag" in wrong.text
    saved = client.post("/audience/segments", data={"csrf_token": csrf, "name": "Buyers",
                        "query": "tag:buyer"}, follow_redirects=True)  # fmt: skip
    assert "Segment saved." in saved.text
    assert '<td class="num">2</td>' in saved.text
    refused = client.post("/audience/segments", data={"csrf_token": csrf, "name": "Buyers",
                          "query": "tag:buyer"})  # fmt: skip
    assert refused.status_code == 400  # the form again, saying why
    assert "already exists" in refused.text
    segment_id = client.get("/api/v1/audience/segments",
                            headers={"Authorization": f"Bearer {token_for(db, people['owner'])}"}
                            ).json()[0]["id"]  # fmt: skip
    asked = client.post(f"/audience/segments/{segment_id}/delete", data={"csrf_token": csrf})
    assert "Delete the segment Buyers?" in asked.text
    confirmed = {"csrf_token": csrf, "confirm": "yes"}
    done = client.post(
        f"/audience/segments/{segment_id}/delete", data=confirmed, follow_redirects=True
    )
    assert "Segment deleted." in done.text
    assert "No saved segments yet" in done.text
