"""The networks API over HTTP: writes are the owner's, reads staff's; postbacks need the secret."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from evergreen.db import Database
from evergreen.links import service as links
from evergreen.links.drafts import LinkDraft
from tests.http_helpers import sign_in, token_for


def test_postbacks_reports_and_earnings_over_http(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    staff = {"Authorization": f"Bearer {token_for(db, people['staff'])}"}
    owner = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    partner = {"Authorization": f"Bearer {token_for(db, people['partner'])}"}
    with db.session() as session:
        links.create_link(
            session, LinkDraft(destination="https://shop.example/", slug="amz", kind="affiliate")
        )
    body = {"name": "Awin", "kind": "network"}
    assert client.post("/api/v1/networks", json=body).status_code == 401
    assert client.post("/api/v1/networks", json=body, headers=partner).status_code == 403
    assert client.get("/api/v1/networks/earnings", headers=partner).status_code == 403
    # Adding a network is the owner's, as the dashboard says.
    assert client.post("/api/v1/networks", json=body, headers=staff).status_code == 403
    created = client.post("/api/v1/networks", json=body, headers=owner)
    assert created.status_code == 201
    network_id, secret = created.json()["id"], created.json()["postback_secret"]
    taken = client.post("/api/v1/networks", json=body, headers=owner)
    assert taken.status_code == 409
    assert taken.json() == {"detail": "a network named 'Awin' already exists"}
    missing = client.post("/api/v1/networks/999/links", json={"slug": "amz"}, headers=owner)
    assert missing.status_code == 404
    assert missing.json() == {"detail": "No network with ID 999."}
    listed = client.get("/api/v1/networks", headers=staff).json()
    assert "postback_secret" not in listed[0]
    link_path = f"/api/v1/networks/{network_id}/links"
    assert client.post(link_path, json={"slug": "amz"}, headers=staff).status_code == 403
    assigned = client.post(link_path, json={"slug": "amz"}, headers=owner)
    assert assigned.status_code == 201
    url = f"/api/v1/networks/{network_id}/postback"
    sale = {"oid": "o1", "subid": "unknown", "payout": "4.20", "status": "approved"}
    assert client.get(url, params=sale).status_code == 401
    assert client.get(url, params={**sale, "secret": "wrong"}).status_code == 401
    assert client.get("/api/v1/networks/999/postback", params=sale).status_code == 404
    good = client.get(url, params={**sale, "secret": secret})
    assert good.status_code == 200, good.text
    assert good.json()["stored"] is True
    assert good.json()["matched"] is False
    posted = client.post(url, params={"secret": secret}, data={**sale, "oid": "o2"})
    assert posted.status_code == 200
    assert posted.json()["earning_id"] != good.json()["earning_id"]
    unreadable = client.get(url, params={"secret": secret, "oid": "o3", "payout": "-1"})
    assert unreadable.status_code == 200
    assert unreadable.json()["matched"] is False
    empty = client.post(url, params={"secret": secret})
    assert empty.status_code == 422
    mapping = {"order_id": "id", "commission": "fee", "status": "state"}
    mapping_path = f"/api/v1/networks/{network_id}/report-mapping"
    assert client.put(mapping_path, json=mapping, headers=staff).status_code == 403
    saved = client.put(mapping_path, json=mapping, headers=owner)
    assert saved.status_code == 200
    report = "id,fee,state\no1,4.20,reversed\no4,1.00,pending\no5,x,pending\n"
    imported = client.post(
        f"/api/v1/networks/{network_id}/reports", content=report,
        headers={**owner, "Content-Type": "text/csv"},
    )  # fmt: skip
    assert imported.json()["created"] == 1
    assert imported.json()["updated"] == 1
    assert imported.json()["errors"][0]["line"] == 4
    again = client.post(
        f"/api/v1/networks/{network_id}/reports", json={"csv": report}, headers=owner
    )
    assert again.json()["created"] == 0
    assert again.json()["unchanged"] == 2
    latin1 = client.post(
        f"/api/v1/networks/{network_id}/reports", content="id,fee,state\nø9,1.00,pending\n"
        .encode("latin-1"), headers={**owner, "Content-Type": "text/csv"},
    )  # fmt: skip
    assert latin1.status_code == 422  # refused whole, never an order id with "\ufffd" in it
    [error] = latin1.json()["detail"]
    assert (error["field"], "line 2 has the byte 0xf8" in error["message"]) == ("csv", True)
    # A JSON report refuses what it does not take, as every API body does, and imports nothing.
    extra = {"csv": "id,fee,state\no9,1.00,pending\n", "network": "Awin"}
    stray = client.post(f"/api/v1/networks/{network_id}/reports", json=extra, headers=owner)
    assert stray.status_code == 422
    [error] = stray.json()["detail"]
    assert (error["field"], error["loc"]) == ("network", ["body", "network"])
    assert error["message"].startswith("unknown field")  # and o9 is not among the earnings below
    # A date that UTC moves past year 9999 is that row's error, not a 500 for the whole report.
    late = {"csv": "id,fee,state,date\no8,1.00,pending,9999-12-31T23:59:59-12:00\n"}
    mapping_with_date = {**mapping, "date": "date"}
    assert client.put(mapping_path, json=mapping_with_date, headers=owner).status_code == 200
    overflow = client.post(f"/api/v1/networks/{network_id}/reports", json=late, headers=owner)
    assert overflow.status_code == 200, overflow.text
    assert [(e["line"], e["field"]) for e in overflow.json()["errors"]] == [(2, "date")]
    review = client.get("/api/v1/networks/earnings?matched=false", headers=staff).json()
    assert {e["order_id"] for e in review} == {"o1", "o2", "o3", "o4"}
    figures = client.get("/api/v1/networks/earnings/report?by=month", headers=staff)
    assert figures.status_code == 200
    # The calendar's last day as the end was a 500 (the day after it is no date).
    for by in ("month", "link", "channel"):
        ever = client.get(
            "/api/v1/networks/earnings/report",
            params={"by": by, "start": "0001-01-01", "end": "9999-12-31"}, headers=staff,
        )  # fmt: skip
        assert ever.status_code == 200, ever.text
        assert (
            ever.json()
            == client.get(
                "/api/v1/networks/earnings/report", params={"by": by}, headers=staff
            ).json()
        )
    (month,) = figures.json()
    assert month["approved"] == "4.20"
    assert month["pending"] == "1.00"
    assert client.get("/api/v1/networks/earnings/report?by=x", headers=staff).status_code == 422


def test_a_networks_postback_mapping_and_secret_over_the_api(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    who = {
        role: {"Authorization": f"Bearer {token_for(db, email)}"} for role, email in people.items()
    }
    created = client.post("/api/v1/networks", json={"name": "Impact"}, headers=who["owner"])
    network_id, old_secret = created.json()["id"], created.json()["postback_secret"]
    mapping = {
        "postback_mapping": {"click_id": "clickref", "order_id": "order", "commission": "earn",
                             "status": "state"},
        "status_values": {"ok": "approved", "wait": "pending", "void": "reversed"},
    }  # fmt: skip
    url = f"/api/v1/networks/{network_id}/postback-mapping"
    assert client.put(url, json=mapping, headers=who["staff"]).status_code == 403
    saved = client.put(url, json=mapping, headers=who["owner"])
    assert saved.status_code == 200, saved.text
    assert saved.json()["postback_mapping"]["click_id"] == "clickref"
    wrong = {**mapping, "status_values": {"ok": "paid"}}
    refused = client.put(url, json=wrong, headers=who["owner"])
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["field"] == "status_values"
    assert (
        client.post(f"/api/v1/networks/{network_id}/secret", headers=who["staff"]).status_code
        == 403
    )
    rotated = client.post(f"/api/v1/networks/{network_id}/secret", headers=who["owner"])
    new_secret = rotated.json()["postback_url"].split("secret=")[1]
    postback = f"/api/v1/networks/{network_id}/postback"
    sale = {"order": "o-1", "clickref": "nobody", "earn": "3.10", "state": "ok"}
    assert client.get(postback, params={**sale, "secret": old_secret}).status_code == 401
    read = client.get(postback, params={**sale, "secret": new_secret})
    assert read.status_code == 200, read.text
    assert read.json()["stored"] is True
    earnings = client.get("/api/v1/networks/earnings", headers=who["staff"]).json()
    # Read with the saved parameter names and status words.
    assert [(e["order_id"], e["commission"], e["status"]) for e in earnings] == [
        ("o-1", "3.10", "approved")
    ]


def test_a_postback_amount_that_is_ambiguous_is_kept_for_review(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    staff = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    created = client.post("/api/v1/networks", json={"name": "Awin"}, headers=staff).json()
    url = f"/api/v1/networks/{created['id']}/postback"
    secret = created["postback_secret"]
    ambiguous = client.get(url, params={"secret": secret, "oid": "o1", "payout": "1,234"})
    assert ambiguous.status_code == 200, ambiguous.text
    assert ambiguous.json()["stored"] is True
    assert "ambiguous" in ambiguous.json()["note"]
    exact = client.get(url, params={"secret": secret, "oid": "o2", "payout": "1.234,50"})
    assert exact.status_code == 200
    listed = {
        e["order_id"]: e for e in client.get("/api/v1/networks/earnings", headers=staff).json()
    }
    assert listed["o1"]["valid"] is False
    assert listed["o2"]["valid"] is True
    assert listed["o2"]["commission"] == "1234.50"
    sign_in(client, people["staff"])
    page = client.get(f"/partners/earnings/networks/{created['id']}")
    assert page.status_code == 200
    assert "unreadable" in page.text
    assert "ambiguous" in page.text


@pytest.mark.both_databases
def test_a_postback_with_a_nul_or_lone_surrogate_is_kept_for_review_not_refused(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    """PostgreSQL stores no NUL in text: a garbled postback was a 500 there (and its JSON form a
    422 everywhere), so the network's sale was lost; it is stored with U+FFFD in their place."""
    owner = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    created = client.post("/api/v1/networks", json={"name": "Awin"}, headers=owner).json()
    url, secret = f"/api/v1/networks/{created['id']}/postback", created["postback_secret"]
    sale = {"payout": "1.00", "subid": "a\x00b", "status": "approved"}
    answers = [
        client.get(url, params={"secret": secret, **sale, "oid": "g\x001"}),
        client.post(url, params={"secret": secret}, data={**sale, "oid": "f\x001"}),
        client.post(url, params={"secret": secret}, json={**sale, "oid": "j\x001"}),
        client.post(
            url,
            params={"secret": secret},
            content=b'{"oid": "s\\ud8001", "payout": "2"}',
            headers={"Content-Type": "application/json"},
        ),
    ]
    assert [a.status_code for a in answers] == [200, 200, 200, 200], [a.text for a in answers]
    assert all(a.json()["stored"] for a in answers)
    earnings = client.get("/api/v1/networks/earnings", headers=owner).json()
    assert sorted(e["order_id"] for e in earnings) == [
        "f\ufffd1",
        "g\ufffd1",
        "j\ufffd1",
        "s\ufffd1",
    ]
    assert {e["commission"] for e in earnings} == {"1.00", "2.00"}
