"""What the ledger's API tests share: callers by role, a stream, counts and refusals."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from evergreen.db import Database
from tests.http_helpers import token_for

API = "/api/v1/ledger"


def callers(db: Database, people: dict[str, str]) -> dict[str, dict[str, str]]:
    """Bearer headers by role (and none for an anonymous caller)."""
    headers = {role: {"Authorization": f"Bearer {token_for(db, e)}"} for role, e in people.items()}
    return {**headers, "anonymous": {}}


def add_stream(client: TestClient, owner: dict[str, str], name: str = "Blog", **more: Any) -> int:
    """A stream added through the API; its ID."""
    created = client.post(f"{API}/streams", json={"name": name, "kind": "affiliate", **more},
                          headers=owner)  # fmt: skip
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


def count(db: Database, column: Any) -> int:
    """Rows stored, read on a reader session."""
    with db.session(writer=False) as session:
        return int(session.scalar(select(func.count(column))) or 0)


def refused(response: Any, status: int, field: str | None = None) -> None:
    """The answer is `status`, and a 422 names `field` first."""
    assert response.status_code == status, response.text
    if field is not None:
        assert response.json()["detail"][0]["field"] == field, response.text
