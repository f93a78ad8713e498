"""The public license API on SQLite and PostgreSQL: activate, validate, deactivate with the
license key as the only credential; the activation limit holds under 64 concurrent callers
(exactly `limit` succeed, the rest 409 with the reason, no 5xx); a refunded key is refused."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from evergreen.commerce import service
from evergreen.commerce.models import LicenseActivation
from evergreen.db import Database

API = "/api/v1/licenses"


def _key(db: Database, limit: int, source: str = "order:1") -> str:
    with db.session() as session:
        row = service.add_product(session, service.ProductDraft(f"App {source}", "digital"))
        service.set_delivery(session, row.id, None, None, limit)
        made = service.grant(session, row.id, "ann@example.com", source)
        return service.licenses_of(session, [made[0].id])[made[0].id].license.key


def test_activate_validate_and_deactivate(client: TestClient, db: Database) -> None:
    key = _key(db, 2)
    first = client.post(
        f"{API}/activate", json={"license_key": key.lower(), "instance_name": "Laptop"}
    )
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["license"] == {"license_key": key, "status": "active", "product": "App order:1",
                               "activation_limit": 2, "activations_used": 1}  # fmt: skip
    instance = body["instance"]["id"]
    same = client.post(f"{API}/activate", json={"license_key": key, "instance_name": "Laptop"})
    assert same.json()["instance"]["id"] == instance
    assert same.json()["license"]["activations_used"] == 1
    valid = client.post(f"{API}/validate", json={"license_key": key, "instance_id": instance})
    assert valid.json()["valid"] is True
    elsewhere = client.post(f"{API}/validate", json={"license_key": key, "instance_id": "x" * 22})
    assert elsewhere.json()["valid"] is False
    assert elsewhere.json()["reason"] == "this key is not activated on that instance"
    done = client.post(f"{API}/deactivate", json={"license_key": key, "instance_id": instance})
    assert done.status_code == 200
    assert done.json()["license"]["activations_used"] == 0
    gone = client.post(f"{API}/deactivate", json={"license_key": key, "instance_id": instance})
    assert gone.status_code == 404


def test_bad_and_unknown_keys_are_4xx_naming_the_field(client: TestClient, db: Database) -> None:
    _key(db, 1)
    bad = client.post(f"{API}/activate", json={"license_key": "nope", "instance_name": "A"})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["field"] == "license_key"
    unknown = client.post(f"{API}/validate", json={"license_key": "AAAAA-AAAAA-AAAAA-AAAAA"})
    assert unknown.status_code == 404
    assert "no such license key" in unknown.json()["detail"]
    empty = client.post(f"{API}/activate", json={"license_key": "AAAAA-AAAAA-AAAAA-AAAAA",
                                                  "instance_name": " "})  # fmt: skip
    assert empty.status_code == 422
    assert empty.json()["detail"][0]["field"] == "instance_name"
    assert client.post(f"{API}/activate", json={}).status_code == 422


def test_a_refunded_key_is_refused_with_its_reason(client: TestClient, db: Database) -> None:
    key = _key(db, 3, "order:9")
    activated = client.post(f"{API}/activate", json={"license_key": key, "instance_name": "Pc"})
    with db.session() as session:
        service.revoke(session, "order:9", "refunded")
    refused = client.post(f"{API}/activate", json={"license_key": key, "instance_name": "Mac"})
    assert refused.status_code == 403
    assert "disabled" in refused.json()["detail"]
    again = client.post(f"{API}/activate", json={"license_key": key, "instance_name": "Pc"})
    assert again.status_code == 403
    instance = activated.json()["instance"]["id"]
    valid = client.post(f"{API}/validate", json={"license_key": key, "instance_id": instance})
    assert valid.status_code == 200
    assert (valid.json()["valid"], valid.json()["license"]["status"]) == (False, "disabled")
    assert "refunded" in valid.json()["reason"]


@pytest.mark.both_databases
def test_64_concurrent_activations_stop_exactly_at_the_limit(
    client: TestClient, db: Database, tmp_path: Path
) -> None:
    key = _key(db, 5)

    def activate(n: int) -> tuple[int, str]:
        response = client.post(
            f"{API}/activate", json={"license_key": key, "instance_name": f"machine-{n % 48}"}
        )
        return response.status_code, response.text

    with ThreadPoolExecutor(max_workers=64) as pool:
        answers = list(pool.map(activate, range(64)))
    codes = sorted(code for code, _ in answers)
    assert all(code < 500 for code in codes), answers
    assert set(codes) <= {201, 409}, codes
    succeeded = {text for code, text in answers if code == 201}
    with db.session() as session:
        stored = list(session.scalars(select(LicenseActivation)))
        assert len(stored) == 5
        assert session.scalar(select(func.count()).select_from(LicenseActivation)) == 5
    names = {row.instance_name for row in stored}
    # A name that got in may have been asked for twice (n and n + 48): both answered 201.
    assert codes.count(201) == sum(1 for n in range(64) if f"machine-{n % 48}" in names)
    ids = {json.loads(text)["instance"]["id"] for text in succeeded}
    assert ids == {row.instance_id for row in stored}
    assert all("deactivate one first" in text for code, text in answers if code == 409)
    assert all(any(name in text for name in names) for text in succeeded)
