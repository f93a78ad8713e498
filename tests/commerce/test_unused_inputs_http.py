"""Inputs a coupon or a supplier would store and never use are refused the same way by the rule,
the page (the form kept, the field marked) and the API (422 naming the field), on SQLite and
PostgreSQL: a number of periods with a coupon that lasts once or forever (as Stripe refuses
duration_in_months unless the duration is repeating), and an address the supplier's method
never sends to. Nothing is stored."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.rules.fulfilment import check_supplier
from evergreen.commerce.rules.plans import check_duration
from evergreen.db import Database
from tests.http_helpers import csrf_from, sign_in, token_for

API = "/api/v1/commerce"
URL = "https://box.example/orders"
MAIL = "orders@box.example"


@pytest.mark.parametrize("duration", ["once", "forever", " Forever "])
def test_a_number_of_periods_is_only_for_a_repeating_coupon(duration: str) -> None:
    with pytest.raises(CommerceInputError) as refused:
        check_duration(duration, 3)
    assert refused.value.field == "duration_periods"
    assert "only a repeating coupon" in refused.value.message
    assert check_duration(duration, None) == (duration.strip().lower(), None)
    assert check_duration("repeating", 3) == ("repeating", 3)


@pytest.mark.parametrize(
    ("method", "email", "url", "field"),
    [("csv", "", URL, "webhook_url"), ("csv", MAIL, "", "email"),
     ("webhook", MAIL, URL, "email"), ("email", MAIL, URL, "webhook_url"),
     ("Email", MAIL, URL, "webhook_url")],
)  # fmt: skip
def test_an_address_the_method_never_uses_is_refused_by_its_field(
    method: str, email: str, url: str, field: str
) -> None:
    with pytest.raises(CommerceInputError) as refused:
        check_supplier("Box Co", email, method, url, "EUR")
    assert refused.value.field == field
    assert check_supplier("Box Co", " ", "csv", " ", "EUR") == ("Box Co", "", "csv", "", "EUR")


def _fields(answer: Any) -> list[str]:
    return [item["field"] for item in answer.json()["detail"]]


@pytest.mark.both_databases
def test_the_coupon_page_and_api_refuse_periods_a_coupon_would_drop(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    owner = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    for duration in ("once", "forever"):
        body = {"code": "SPRING", "percent_off": "10", "duration": duration, "duration_periods": 3}
        answer = client.post(f"{API}/coupons", json=body, headers=owner)
        assert answer.status_code == 422, answer.text
        assert _fields(answer) == ["duration_periods"]
    sign_in(client, people["owner"])
    token = csrf_from(client.get("/commerce/coupons").text)
    form = {"csrf_token": token, "code": "SPRING", "percent_off": "10", "duration": "forever",
            "duration_periods": "3"}  # fmt: skip
    page = client.post("/commerce/coupons", data=form)
    assert page.status_code == 400
    assert "only a repeating coupon lasts a number of periods" in page.text
    assert re.search(r'name="duration_periods" value="3"[^>]*aria-invalid="true"', page.text)
    assert 'value="SPRING"' in page.text  # the form kept
    assert client.get(f"{API}/coupons", headers=owner).json() == []
    made = client.post(f"{API}/coupons", headers=owner,
                       json={**body, "duration": "repeating"})  # fmt: skip
    assert made.status_code == 201, made.text
    assert (made.json()["duration"], made.json()["duration_periods"]) == ("repeating", 3)


@pytest.mark.both_databases
def test_the_supplier_page_and_api_refuse_an_address_the_method_never_uses(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    owner = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    base = {"name": "Box Co", "currency": "EUR"}
    for extra, field in (
        ({"method": "csv", "webhook_url": URL}, "webhook_url"),
        ({"method": "csv", "email": MAIL}, "email"),
        ({"method": "webhook", "webhook_url": URL, "email": MAIL}, "email"),
        ({"method": "email", "email": MAIL, "webhook_url": URL}, "webhook_url"),
    ):
        answer = client.post(f"{API}/suppliers", headers=owner, json={**base, **extra})
        assert answer.status_code == 422, answer.text
        assert _fields(answer) == [field]
    sign_in(client, people["owner"])
    token = csrf_from(client.get("/commerce/suppliers").text)
    form = {"csrf_token": token, **base, "method": "csv", "email": MAIL}
    page = client.post("/commerce/suppliers", data=form)
    assert page.status_code == 400
    assert "only for the method email" in page.text
    assert f'value="{MAIL}"' in page.text  # the form kept
    assert client.get(f"{API}/suppliers", headers=owner).json()["suppliers"] == []
    made = client.post(f"{API}/suppliers", headers=owner,
                       json={**base, "method": "email", "email": MAIL})  # fmt: skip
    assert made.status_code == 201, made.text
    moved = client.put(f"{API}/suppliers/{made.json()['id']}", headers=owner,
                       json={**base, "method": "csv", "email": MAIL})  # fmt: skip
    assert moved.status_code == 422
    assert _fields(moved) == ["email"]
    kept = client.get(f"{API}/suppliers", headers=owner).json()["suppliers"]
    assert [(s["method"], s["email"]) for s in kept] == [("email", MAIL)]
