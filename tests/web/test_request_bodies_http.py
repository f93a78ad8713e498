"""A field the API does not know is a 422 naming it, and nothing is stored; a body that someone
else's system sends (a sign-up from their page, a license check from a sold copy) ignores it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from evergreen.audience import service as audience
from evergreen.audience.models import Subscriber
from evergreen.audience.rules.forms import render_token
from evergreen.audience.service import forms
from evergreen.commerce import service as commerce
from evergreen.db import Database, utcnow
from tests.conftest import TEST_SECRET
from tests.http_helpers import token_for

UNKNOWN = (
    "unknown field: this request does not take it; check the spelling "
    "(every route's fields are at /api/docs)"
)


@pytest.fixture
def owner(client: TestClient, db: Database, people: dict[str, str]) -> TestClient:
    """The client with the owner's API token."""
    client.headers["Authorization"] = f"Bearer {token_for(db, people['owner'])}"
    return client


def _refused(response: Any, *where: str | int) -> None:
    assert response.status_code == 422, response.text
    assert response.json() == {
        "detail": [
            {
                "field": ".".join(str(part) for part in where),
                "message": UNKNOWN,
                "loc": ["body", *where],
            }
        ]
    }


@pytest.mark.both_databases
def test_a_stray_field_is_a_422_naming_it_and_the_same_body_without_it_is_stored(
    owner: TestClient, db: Database
) -> None:
    with db.session() as session:
        news = audience.create_list(session, "News").id
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("/api/v1/links", {"destination": "https://shop.example/", "slug": "book"}, "partner_id"),
        ("/api/v1/partners", {"name": "Ann", "email": "ann@example.com"}, "commission_rate"),
        ("/api/v1/lending/borrowers", {"name": "Bo Rowe"}, "credit_score"),
        ("/api/v1/mail/broadcasts", {"list_id": news, "subject": "Hi", "body": "Hello"}, "send_at"),
    ]
    for url, body, stray in cases:
        _refused(owner.post(url, json={**body, stray: 3}), stray)
        # Nothing of the refused body was stored: the same body again is new (a link's slug and
        # a borrower's name are unique), and answered as usual.
        stored = owner.post(url, json=body)
        assert stored.status_code == 201, (url, stored.text)


@pytest.mark.both_databases
def test_a_stray_field_inside_a_list_is_named_with_its_place(owner: TestClient) -> None:
    good = {"destination": "https://shop.example/"}
    bulk = {"links": [good, {**good, "slug": "two", "partner": "ann"}]}
    _refused(owner.post("/api/v1/links/bulk", json=bulk), "links", 1, "partner")
    assert owner.get("/api/v1/links").json()["total"] == 0
    # A change is refused the same way: a PUT that mistypes a field changes nothing.
    owner.post("/api/v1/links", json={**good, "slug": "book"})
    typo = owner.put("/api/v1/links/book", json={**good, "titel": "The book"})
    _refused(typo, "titel")


def test_the_document_says_so_for_each_kind_of_body(client: TestClient) -> None:
    schemas = client.get("/api/openapi.json").json()["components"]["schemas"]
    assert schemas["LinkIn"]["additionalProperties"] is False
    assert schemas["BorrowerIn"]["additionalProperties"] is False
    assert "additionalProperties" not in schemas["SignupIn"]
    assert "additionalProperties" not in schemas["LinkOut"]  # answers are not requests


@pytest.mark.both_databases
def test_a_sign_up_from_someone_elses_page_ignores_fields_it_does_not_know(
    client: TestClient, db: Database
) -> None:
    with db.session() as session:
        news = audience.create_list(session, "News", double_opt_in=False).id
        forms.create_form(
            session,
            forms.FormInput(name="Newsletter", slug="news", list_ids=[news], wording="Join"),
        )
    token = render_token(TEST_SECRET, "news", utcnow() - timedelta(seconds=5))  # past the trap
    body = {"email": "jane@example.com", "token": token, "utm_source": "blog", "gdpr": 1}
    joined = client.post("/api/v1/public/forms/news", json=body)
    assert joined.status_code == 200, joined.text
    with db.session(writer=False) as session:
        emails = session.scalars(select(Subscriber.email)).all()
    assert emails == ["jane@example.com"]


@pytest.mark.both_databases
def test_a_sold_copy_that_sends_more_still_checks_its_license(
    client: TestClient, db: Database
) -> None:
    with db.session() as session:
        product = commerce.add_product(session, commerce.ProductDraft("App", "digital"))
        commerce.set_delivery(session, product.id, None, None, 1)
        [grant] = commerce.grant(session, product.id, "ann@example.com", "order:1")
        key = commerce.licenses_of(session, [grant.id])[grant.id].license.key
    body = {"license_key": key, "instance_name": "Laptop", "app_version": "2.1", "os": "linux"}
    activated = client.post("/api/v1/licenses/activate", json=body)
    assert activated.status_code == 201, activated.text
    checked = client.post("/api/v1/licenses/validate", json={"license_key": key, "os": "linux"})
    assert checked.status_code == 200, checked.text
    assert checked.json()["valid"] is True
