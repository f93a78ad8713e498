"""Lending over HTTP on SQLite and PostgreSQL: the owner writes loans and records money, staff
read the book and are refused writes, a bad value is a 422 naming its field."""

from __future__ import annotations

from fastapi.testclient import TestClient

from evergreen.db import Database
from tests.http_helpers import token_for

API = "/api/v1/lending"


def _headers(db: Database, email: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(db, email)}"}


def test_the_owner_lends_and_staff_read_the_book(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    owner, staff = _headers(db, people["owner"]), _headers(db, people["staff"])
    assert client.post(f"{API}/borrowers", json={"name": "Rehab Co", "kind": "llc"},
                       headers=owner).status_code == 201  # fmt: skip
    site = {"address": "3 Pine Rd", "purchase_price": "120000", "rehab_budget": "40000",
            "arv": "250000"}  # fmt: skip
    prop = client.post(f"{API}/properties", json=site, headers=owner)
    body = {"borrower": "Rehab Co", "principal": "120000", "annual_rate": "11%", "months": 12,
            "start": "2026-01-01", "points": "2", "day_count": "actual/360",
            "commitment": "40000", "draw_fee": "150", "property_id": prop.json()["id"]}  # fmt: skip
    made = client.post(f"{API}/loans", json=body, headers=owner)
    assert made.status_code == 201, made.text
    loan = made.json()
    assert (loan["balance"], loan["ltc"], loan["ltv"]) == ("120000.00", "1.0000", "0.6400")
    assert client.post(f"{API}/loans", json=body, headers=staff).status_code == 403
    draw = client.post(f"{API}/loans/{loan['id']}/draws", json={"amount": "10000",
                       "date": "2026-01-20"}, headers=owner).json()  # fmt: skip
    for action in ("inspect", "approve", "fund"):
        stepped = client.post(f"{API}/draws/{draw['id']}/{action}", json={"date": "2026-01-21"},
                              headers=owner)  # fmt: skip
        assert stepped.status_code == 200, stepped.text
    assert stepped.json()["status"] == "funded"
    assert {k: v for k, v in stepped.json().items() if k.endswith("_on")} == {
        "requested_on": "2026-01-20", "inspected_on": "2026-01-21", "approved_on": "2026-01-21",
        "funded_on": "2026-01-21", "rejected_on": None,
    }  # fmt: skip
    # Actual/360, each stretch between balance changes rounded to the cent: Jan 1 → Jan 21 on
    # 120,000 = 733.33, Jan 21 → Feb 1 on 130,000 = 436.94; per diem 130,000 * .11 / 360.
    quote = client.get(f"{API}/loans/{loan['id']}/payoff", params={"as_of": "2026-02-01"},
                       headers=staff).json()  # fmt: skip
    assert quote == {"principal": 130000.0, "interest": 1170.27, "fees": 150.0,
                     "total": 131320.27, "per_diem": 39.72}  # fmt: skip
    paid = client.post(f"{API}/loans/{loan['id']}/payments",
                       json={"date": "2026-02-01", "amount": "1320.27", "key": "ach-1"},
                       headers=owner)  # fmt: skip
    assert paid.status_code == 201
    assert (paid.json()["fees"], paid.json()["interest"]) == ("150.00", "1170.27")
    again = client.post(f"{API}/loans/{loan['id']}/payments",
                        json={"date": "2026-02-01", "amount": "1320.27", "key": "ach-1"},
                        headers=owner)  # fmt: skip
    assert (again.status_code, again.json()["id"]) == (200, paid.json()["id"])
    book = client.get(f"{API}/portfolio", params={"as_of": "2026-02-01"}, headers=staff).json()
    assert (book["deployed"], book["loans"], book["buckets"]["current"]) == (130000.0, 1, 1)
    assert book["concentration"] == [{"borrower": "Rehab Co", "balance": "130000.00",
                                      "share": "1.0000"}]  # fmt: skip
    due = client.get(f"{API}/loans/{loan['id']}/calendar", headers=staff).json()
    assert len(due) == 12
    assert due[0] == {"date": "2026-02-01", "interest": "1170.27", "principal": "0.00",
                      "payment": "1170.27"}  # fmt: skip
    assert due[-1]["principal"] == "130000.00"
    kinds = [e["kind"] for e in client.get(f"{API}/loans/{loan['id']}/history",
                                           headers=staff).json()]  # fmt: skip
    assert kinds[:3] == ["funding", "closing", "draw_requested"]
    assert "payment" in kinds
    done = client.post(f"{API}/loans/{loan['id']}/payoff", json={"date": "2026-02-10"},
                       headers=owner)  # fmt: skip
    assert done.status_code == 200
    assert client.get(f"{API}/loans/{loan['id']}", headers=staff).json()["status"] == "paid_off"


def test_bad_input_is_a_422_naming_the_field(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    owner = _headers(db, people["owner"])
    body = {"borrower": "Nobody", "principal": "1000", "annual_rate": "10", "months": 12,
            "start": "2026-01-01"}  # fmt: skip
    missing = client.post(f"{API}/loans", json=body, headers=owner)
    assert missing.status_code == 422
    assert "there is no borrower named 'Nobody'" in missing.text
    client.post(f"{API}/borrowers", json={"name": "Nobody"}, headers=owner)
    for field, value in (("principal", "-5"), ("annual_rate", "300"), ("points", "abc")):
        refused = client.post(f"{API}/loans", json={**body, field: value}, headers=owner)
        assert refused.status_code == 422, refused.text
        assert field in refused.text
    loan = client.post(f"{API}/loans", json=body, headers=owner).json()
    early = client.post(f"{API}/loans/{loan['id']}/payments",
                        json={"date": "2025-12-01", "amount": "10"}, headers=owner)  # fmt: skip
    assert early.status_code == 422
    assert "date" in early.text
    earlier = {"date": "2026-02-01", "maturity": "2026-06-01"}
    shorter = client.post(f"{API}/loans/{loan['id']}/extension", json=earlier, headers=owner)
    assert shorter.status_code == 422
    assert [e["field"] for e in shorter.json()["detail"]] == ["maturity"]  # the body's name
    assert client.get(f"{API}/loans/999999", headers=owner).status_code == 404
    # A bare number is not a day (pydantic would read it as seconds since 1970): 422 by name.
    for number in (5, 0, 86400, "86400"):
        refused = client.post(f"{API}/loans", json={**body, "start": number}, headers=owner)
        assert refused.status_code == 422, refused.text
        assert [e["field"] for e in refused.json()["detail"]] == ["start"]
        assert "must be a date as YYYY-MM-DD" in refused.json()["detail"][0]["message"]
    paid = client.post(f"{API}/loans/{loan['id']}/payments", json={"date": 1769904000,
                       "amount": "10"}, headers=owner)  # fmt: skip
    assert [e["field"] for e in paid.json()["detail"]] == ["date"]
    on_day = client.get(f"{API}/loans/{loan['id']}", params={"as_of": "86400"}, headers=owner)
    assert on_day.status_code == 422
    assert [e["field"] for e in on_day.json()["detail"]] == ["as_of"]


def test_each_payment_is_recorded_and_only_a_key_makes_a_retry(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    """The same amount on the same day twice is two payments (201, two ids); a key sent again
    answers the first (200), and for another amount or date is a 409 naming the key."""
    owner = _headers(db, people["owner"])
    client.post(f"{API}/borrowers", json={"name": "Ann"}, headers=owner)
    body = {"borrower": "Ann", "principal": "1000", "annual_rate": "10", "months": 12,
            "start": "2026-01-01"}  # fmt: skip
    loan = client.post(f"{API}/loans", json=body, headers=owner).json()
    url, cheque = f"{API}/loans/{loan['id']}/payments", {"date": "2026-05-01", "amount": "100"}
    twice = [client.post(url, json=cheque, headers=owner) for _ in range(2)]
    assert [p.status_code for p in twice] == [201, 201]
    assert twice[0].json()["id"] != twice[1].json()["id"]
    keyed = [client.post(url, json={**cheque, "key": "chk-9"}, headers=owner) for _ in range(2)]
    assert [p.status_code for p in keyed] == [201, 200]
    assert keyed[0].json() == keyed[1].json()
    for change in ({"amount": "120"}, {"date": "2026-05-02"}):
        clash = client.post(url, json={**cheque, **change, "key": "chk-9"}, headers=owner)
        assert clash.status_code == 409, clash.text
        assert "key" in clash.text
    history = client.get(f"{API}/loans/{loan['id']}/history", headers=owner).json()
    assert [e["kind"] for e in history].count("payment") == 3


def test_loans_are_listed_by_a_status_that_exists(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    """A misspelt status listed no loan (an empty book to the eye): it is a 422 naming it."""
    staff = _headers(db, people["staff"])
    assert client.get(f"{API}/loans", params={"status": "open"}, headers=staff).status_code == 200
    refused = client.get(f"{API}/loans", params={"status": "opne"}, headers=staff)
    assert refused.status_code == 422, refused.text
    (error,) = refused.json()["detail"]
    assert error["loc"] == ["query", "status"]
    assert "open, paid_off, charged_off" in error["message"]
