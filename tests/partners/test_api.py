"""The partners API over HTTP: who may call it, idempotent conversions, errors by field."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from evergreen.db import Database
from evergreen.errors import InputError
from evergreen.partners import service
from tests.http_helpers import token_for


def test_conversions_api_is_idempotent_and_guarded(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    owner = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    staff = {"Authorization": f"Bearer {token_for(db, people['staff'])}"}
    partner = {"Authorization": f"Bearer {token_for(db, people['partner'])}"}
    terms = {"kind": "percent", "rate": "25", "effective_from": "2025-01-01T00:00:00Z"}
    assert client.post("/api/v1/partners/terms", json=terms, headers=staff).status_code == 403
    assert client.post("/api/v1/partners/terms", json=terms, headers=owner).status_code == 201
    created = client.post(
        "/api/v1/partners",
        json={"name": "Ana", "email": "ana@blog.example", "status": "active"},
        headers=staff,
    )
    assert created.status_code == 201
    partner_id = created.json()["id"]
    coupon = client.post(
        f"/api/v1/partners/{partner_id}/coupons", json={"code": "ana10"}, headers=staff
    )
    assert coupon.json()["code"] == "ANA10"
    sale = {
        "idempotency_key": "order-1",
        "event": "sale",
        "amount": "100.00",
        "currency": "USD",
        "customer_id": "cus_1",
        "order_id": "order-1",
        "coupon": "ANA10",
        "occurred_at": "2026-03-01T10:00:00Z",
    }
    assert client.post("/api/v1/partners/conversions", json=sale).status_code == 401
    assert (
        client.post("/api/v1/partners/conversions", json=sale, headers=partner).status_code == 403
    )
    first = client.post("/api/v1/partners/conversions", json=sale, headers=staff)
    assert first.status_code == 201
    assert first.json()["commissions"][0]["amount"] == "25.00"
    replay = client.post("/api/v1/partners/conversions", json=sale, headers=staff)
    assert replay.status_code == 200
    assert replay.json()["duplicate"] is True
    listed = client.get("/api/v1/partners/commissions", headers=staff).json()
    assert len(listed) == 1
    negative = client.post(
        "/api/v1/partners/conversions", json={**sale, "idempotency_key": "x", "amount": "-5"},
        headers=staff,
    )  # fmt: skip
    assert negative.status_code == 422
    assert negative.json()["detail"][0]["field"] == "amount"
    wrong_currency = client.post(
        "/api/v1/partners/conversions", json={**sale, "idempotency_key": "y", "currency": "EUR"},
        headers=staff,
    )  # fmt: skip
    assert wrong_currency.status_code == 422
    assert wrong_currency.json()["detail"][0]["field"] == "currency"
    # Moments at the calendar's edges were a 500: the attribution window before them (or the
    # holding period after them) is past what a date holds.
    for edge in ("9999-12-31T23:00:00-12:00", "0001-01-01T00:00:00Z", "3000-01-01T00:00:00Z"):
        body = {**sale, "idempotency_key": f"edge {edge}", "occurred_at": edge}
        refused = client.post("/api/v1/partners/conversions", json=body, headers=staff)
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"][0]["field"] == "occurred_at"
    # A number is not a moment (pydantic would read it as seconds since 1970).
    for number in (1772359200, "1772359200", 0):
        body = {**sale, "idempotency_key": f"unix {number}", "occurred_at": number}
        refused = client.post("/api/v1/partners/conversions", json=body, headers=staff)
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"][0]["field"] == "occurred_at"
    assert len(client.get("/api/v1/partners/commissions", headers=staff).json()) == 1
    held = client.post(
        f"/api/v1/partners/commissions/{listed[0]['id']}/hold",
        json={"note": "checking the order"}, headers=staff,
    )  # fmt: skip
    assert held.json()["status"] == "on_hold"
    assert (
        client.post(
            f"/api/v1/partners/commissions/{listed[0]['id']}/approve", json={}, headers=staff
        ).status_code
        == 409
    )


def test_payouts_are_the_owners_alone(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    owner = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    staff = {"Authorization": f"Bearer {token_for(db, people['staff'])}"}
    assert client.post("/api/v1/partners/payouts", headers=staff).status_code == 403
    assert client.get("/api/v1/partners/payouts/1/export.csv", headers=staff).status_code == 403
    nothing = client.post("/api/v1/partners/payouts", headers=owner)
    assert nothing.status_code == 200
    assert nothing.json()["payout"] is None
    assert client.get("/api/v1/partners/payouts/999/export.csv", headers=owner).status_code == 404
    created = client.post(
        "/api/v1/partners",
        json={"name": "Ana", "email": "ana@blog.example", "status": "active"},
        headers=staff,
    ).json()
    statement = client.get(f"/api/v1/partners/{created['id']}/statement.csv", headers=staff)
    assert statement.status_code == 200
    assert statement.text.startswith("date,commission,kind,amount")
    assert client.get("/api/v1/partners/999/statement.csv", headers=staff).status_code == 404


def test_every_api_route_names_its_operation() -> None:
    from fastapi.routing import APIRoute

    from evergreen.partners.area import AREA

    assert AREA.api is not None
    routes = [r for router in AREA.api() for r in router.routes if isinstance(r, APIRoute)]
    ours = [r for r in routes if r.path.startswith("/partners")]
    assert ours
    names = [route.operation_id for route in ours]
    assert None not in names, [r.path for r in ours if r.operation_id is None]
    assert len(set(names)) == len(names)
    assert {"record_conversion", "create_payout", "mark_payout_paid"} <= set(names)


def test_terms_that_are_not_finite_or_do_not_fit_are_refused_by_the_api_and_the_service(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    owner = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    for field, value in [
        ("rate", "1e999"), ("rate", "NaN"), ("rate", "Infinity"), ("rate", "1" * 16),
        ("lead_amount", "NaN"), ("recruiter_rate", "NaN"), ("recruiter_rate", "1e999"),
    ]:  # fmt: skip
        body = {"kind": "flat", "rate": "5", field: value}
        refused = client.post("/api/v1/partners/terms", json=body, headers=owner)
        assert refused.status_code == 422, (field, value, refused.text)
        assert refused.json()["detail"][0]["field"] == field
    # The service refuses them too, whoever calls it (the page and the CLI build the same Terms).
    with db.session() as session:
        program = service.default_program(session)
        for draft in [
            service.TermsDraft(kind="flat", rate=Decimal("1e999")),
            service.TermsDraft(kind="flat", rate=Decimal("NaN")),
            service.TermsDraft(kind="flat", rate=Decimal("0.00001")),
            service.TermsDraft(kind="flat", rate=Decimal(5), lead_amount=Decimal("Infinity")),
        ]:
            with pytest.raises(InputError):
                service.add_terms(session, program, draft)
    flat = {"kind": "flat", "rate": "5", "effective_from": "2025-01-01T00:00:00Z"}
    assert client.post("/api/v1/partners/terms", json=flat, headers=owner).status_code == 201
    sale = {"idempotency_key": "k1", "event": "sale", "amount": "10", "currency": "USD",
            "customer_id": "c1"}  # fmt: skip
    assert client.post("/api/v1/partners/conversions", json=sale, headers=owner).status_code == 201


def test_every_move_a_refusal_offers_is_accepted(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    """A refused status change names what can be done instead, and each of those is accepted
    by this same route: reversing is a refund's, so it is never offered here."""
    owner = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    staff = {"Authorization": f"Bearer {token_for(db, people['staff'])}"}
    terms = {"kind": "percent", "rate": "25", "effective_from": "2025-01-01T00:00:00Z"}
    assert client.post("/api/v1/partners/terms", json=terms, headers=owner).status_code == 201
    ana = client.post(
        "/api/v1/partners", json={"name": "Ana", "email": "ana@blog.example", "status": "active"},
        headers=staff,
    ).json()["id"]  # fmt: skip
    client.post(f"/api/v1/partners/{ana}/coupons", json={"code": "ana10"}, headers=staff)
    sale = {
        "idempotency_key": "order-1", "event": "sale", "amount": "100.00", "currency": "USD",
        "customer_id": "cus_1", "order_id": "order-1", "coupon": "ANA10",
        "occurred_at": "2026-03-01T10:00:00Z",
    }  # fmt: skip
    assert client.post("/api/v1/partners/conversions", json=sale, headers=staff).status_code == 201
    cid = client.get("/api/v1/partners/commissions", headers=staff).json()[0]["id"]

    def act(action: str) -> Any:
        url = f"/api/v1/partners/commissions/{cid}/{action}"
        return client.post(url, json={}, headers=staff)

    assert act("approve").json()["status"] == "approved"
    refused = act("approve")
    assert refused.status_code == 409
    assert refused.json()["detail"] == "cannot approve an approved commission (from approved: hold)"
    assert act("hold").json()["status"] == "on_hold"
    assert act("reverse").status_code == 422  # a refund's move, not a person's


def test_commissions_are_listed_by_a_status_that_exists(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    """An unknown status listed nothing with a 200: it is a 422 naming the parameter."""
    staff = {"Authorization": f"Bearer {token_for(db, people['staff'])}"}
    listed = client.get("/api/v1/partners/commissions", params={"status": "paid"}, headers=staff)
    assert listed.status_code == 200
    refused = client.get("/api/v1/partners/commissions", params={"status": "payed"}, headers=staff)
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"][0]["loc"] == ["query", "status"]
