"""The JSON API for referral links, partner edits and removals, settings and payout details,
with the roles each allows."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from fastapi.testclient import TestClient

from evergreen.db import Database
from evergreen.partners import service
from evergreen.partners.service.lifecycle import approve_due
from tests.http_helpers import token_for

API = "/api/v1/partners"
LANDING = "https://shop.example/start"


def _headers(db: Database, people: dict[str, str]) -> dict[str, dict[str, str]]:
    return {
        role: {"Authorization": f"Bearer {token_for(db, email)}"} for role, email in people.items()
    }


def test_settings_over_the_api(client: TestClient, db: Database, people: dict[str, str]) -> None:
    who = _headers(db, people)
    shown = client.get(f"{API}/settings", headers=who["staff"])
    assert shown.status_code == 200
    assert shown.json()["payout_threshold"] == "50.00"  # money as the README says: two decimals
    body = {"payout_threshold": "20", "landing_url": LANDING}
    assert client.patch(f"{API}/settings", json=body, headers=who["staff"]).status_code == 403
    assert client.patch(f"{API}/settings", json=body, headers=who["partner"]).status_code == 403
    changed = client.patch(f"{API}/settings", json=body, headers=who["owner"])
    assert changed.status_code == 200
    assert changed.json()["payout_threshold"] == "20.00"
    assert changed.json()["landing_url"] == LANDING
    assert changed.json()["holding_days"] == 30  # left out: unchanged
    for bad, field in (
        ({"payout_threshold": "12.345"}, "payout_threshold"),
        ({"payout_threshold": "-1"}, "payout_threshold"),
        ({"payout_threshold": "NaN"}, "payout_threshold"),
        ({"landing_url": "javascript:alert(1)"}, "landing_url"),
        ({"holding_days": 400}, "holding_days"),
        ({"attribution_model": "linear"}, "attribution_model"),
    ):
        refused = client.patch(f"{API}/settings", json=bad, headers=who["owner"])
        assert refused.status_code == 422, bad
        assert field in str(refused.json()["detail"]), bad
    assert client.get(f"{API}/settings", headers=who["owner"]).json()["landing_url"] == LANDING


def test_partners_get_links_and_are_edited_over_the_api(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    who = _headers(db, people)
    client.patch(f"{API}/settings", json={"landing_url": LANDING}, headers=who["owner"])
    created = client.post(
        API, json={"name": "Ana Lima", "email": "ana@example.com"}, headers=who["staff"]
    )
    assert created.status_code == 201
    ana = created.json()
    [link] = ana["links"]
    assert link["slug"] == "ana-lima"
    assert link["short_url"].endswith("/ana-lima")
    assert link["destination"] == LANDING
    assert ana["coupons"] == []
    client.post(f"{API}/{ana['id']}/coupons", json={"code": "ana10"}, headers=who["staff"])

    patched = client.patch(
        f"{API}/{ana['id']}",
        json={"name": "Ana L.", "payout_method": "wise", "payout_email": "pay@ana.example"},
        headers=who["staff"],
    )
    assert patched.status_code == 200
    body = patched.json()
    assert (body["name"], body["email"], body["payout_method"], body["payout_email"]) == (
        "Ana L.", "ana@example.com", "wise", "pay@ana.example",
    )  # fmt: skip
    assert body["coupons"] == ["ANA10"]
    assert client.get(f"{API}/{ana['id']}", headers=who["staff"]).json() == body
    for bad, field in (
        ({"email": "nope"}, "email"),
        ({"payout_method": "cheque"}, "payout_method"),
        ({"name": ""}, "name"),
    ):
        refused = client.patch(f"{API}/{ana['id']}", json=bad, headers=who["staff"])
        assert refused.status_code == 422, bad
        assert field in str(refused.json()["detail"]), bad
    taken = client.patch(
        f"{API}/{ana['id']}", json={"email": people["partner"]}, headers=who["staff"]
    )
    assert taken.status_code == 200  # no partner has it yet; the account is theirs to claim
    locked = client.patch(
        f"{API}/{ana['id']}", json={"email": "else@example.com"}, headers=who["staff"]
    )
    assert locked.status_code == 409
    assert "signs in to the portal" in locked.json()["detail"]

    gone = client.delete(f"{API}/{ana['id']}/links/ana-lima", headers=who["staff"])
    assert gone.status_code == 204
    assert (
        client.delete(f"{API}/{ana['id']}/links/ana-lima", headers=who["staff"]).status_code == 404
    )
    assert (
        client.delete(f"{API}/{ana['id']}/coupons/ana10", headers=who["staff"]).status_code == 204
    )
    assert (
        client.delete(f"{API}/{ana['id']}/coupons/ANA10", headers=who["staff"]).status_code == 404
    )
    after = client.get(f"{API}/{ana['id']}", headers=who["staff"]).json()
    assert (after["links"], after["coupons"]) == ([], [])
    assert client.get("/api/v1/links/ana-lima", headers=who["staff"]).status_code == 200
    for method, url in (
        ("GET", f"{API}/{ana['id']}"),
        ("PATCH", f"{API}/{ana['id']}"),
        ("DELETE", f"{API}/{ana['id']}/coupons/X"),
        ("DELETE", f"{API}/{ana['id']}/links/x"),
    ):
        refused = client.request(method, url, json={"name": "x"}, headers=who["partner"])
        assert refused.status_code == 403, (method, url)
        assert client.request(method, url, json={"name": "x"}).status_code == 401, (method, url)
    assert client.get(f"{API}/99999", headers=who["staff"]).status_code == 404


def test_a_payout_over_the_api(client: TestClient, db: Database, people: dict[str, str]) -> None:
    who = _headers(db, people)
    client.post(f"{API}/terms", json={"kind": "flat", "rate": "15"}, headers=who["owner"])
    client.patch(f"{API}/settings", json={"payout_threshold": "10"}, headers=who["owner"])
    ana = client.post(
        API, json={"name": "=Ana", "email": "ana@example.com", "status": "active"},
        headers=who["owner"],
    ).json()  # fmt: skip
    client.post(f"{API}/{ana['id']}/coupons", json={"code": "ANA"}, headers=who["owner"])
    sale = {
        "idempotency_key": "o1", "event": "sale", "amount": "80.00", "currency": "USD",
        "customer_id": "c1", "coupon": "ANA",
    }  # fmt: skip
    assert client.post(f"{API}/conversions", json=sale, headers=who["staff"]).status_code == 201
    with db.session() as session:
        approve_due(
            session, service.default_program(session), datetime.now(UTC) + timedelta(days=31)
        )
    payout = client.post(f"{API}/payouts", headers=who["owner"]).json()["payout"]
    got = client.get(f"{API}/payouts/{payout}", headers=who["owner"])
    assert got.status_code == 200
    detail = got.json()
    assert detail["status"] == "open"
    assert {k: Decimal(v) for k, v in detail["totals"].items()} == {"USD": Decimal("15")}
    [line] = detail["lines"]
    assert (line["partner_id"], line["method"], line["reference"]) == (
        ana["id"], "paypal", f"evergreen-payout-{payout}-partner-{ana['id']}",
    )  # fmt: skip
    assert [c["status"] for c in detail["commissions"]] == ["payable"]
    exported = client.get(f"{API}/payouts/{payout}/commissions.csv", headers=who["owner"])
    assert exported.headers["content-type"].startswith("text/csv")
    [row] = list(csv.DictReader(io.StringIO(exported.text)))
    assert (row["partner"], row["amount"]) == ("'=Ana", "15.00")
    for role in ("staff", "partner"):
        assert client.get(f"{API}/payouts/{payout}", headers=who[role]).status_code == 403
        csv_url = f"{API}/payouts/{payout}/commissions.csv"
        assert client.get(csv_url, headers=who[role]).status_code == 403
    assert client.get(f"{API}/payouts/{payout + 1}", headers=who["owner"]).status_code == 404
