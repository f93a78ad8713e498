"""The API's list filters in the funnel's machine (subscribers, products, orders) answer a NUL
or an unknown status with a 422 naming the parameter: PostgreSQL refuses to compare a NUL (it
was a 500), and an unknown status answered an empty list as if nothing matched."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from evergreen.db import Database
from tests.http_helpers import token_for

API = "/api/v1"


@pytest.mark.both_databases
@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/audience/subscribers?q=a%00", "q"),
        ("/audience/subscribers?tag=a%00", "tag"),
        ("/audience/subscribers?status=a%00", "status"),
        ("/audience/subscribers?status=happy", "status"),
        ("/commerce/products?status=a%00", "status"),
        ("/commerce/products?status=sold", "status"),
        ("/commerce/orders?status=a%00", "status"),
        ("/commerce/orders?status=shipped", "status"),
    ],
)
def test_a_bad_filter_is_a_422_naming_it(
    client: TestClient, db: Database, people: dict[str, str], path: str, field: str
) -> None:
    owner = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    answer = client.get(API + path, headers=owner)
    assert answer.status_code == 422, answer.text[:300]
    assert [problem["field"] for problem in answer.json()["detail"]] == [field]


@pytest.mark.both_databases
def test_a_known_filter_still_answers(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    owner = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    for path in (
        "/audience/subscribers?status=bounced&q=x&tag=y",
        "/commerce/products?status=draft",
        "/commerce/orders?status=paid",
    ):
        assert client.get(API + path, headers=owner).status_code == 200, path
