"""POST /api/v1/sequences/events and `evergreen sequences event` (SQLite and PostgreSQL): one
event per idempotency key under 64 concurrent callers, no 5xx; bad input is a 422 naming the
field; the stored event enrols its sequence at the next tick."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from evergreen.db import Database, utcnow
from evergreen.sequences import service
from evergreen.sequences.models import SequenceEvent
from tests.cli_helpers import run_cli
from tests.http_helpers import token_for
from tests.sequences.kit import add_active, make_list, subscribe

URL = "/api/v1/sequences/events"


def _count(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(SequenceEvent)) or 0)


def _headers(db: Database, people: dict[str, str], role: str = "owner") -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(db, people[role])}"}


def test_64_concurrent_posts_of_one_key_store_one_event(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    list_id = make_list(db)
    subscribe(db, list_id, "ann@example.com")
    headers = _headers(db, people)
    body = {"email": "ann@example.com", "name": "purchase:course", "idempotency_key": "order-77"}

    def post(_: int) -> tuple[int, dict[str, Any]]:
        response = client.post(URL, json=body, headers=headers)
        return response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=64) as pool:
        answers = list(pool.map(post, range(64)))
    codes = sorted(code for code, _ in answers)
    assert codes.count(201) == 1, codes
    assert codes.count(200) == 63, codes
    assert len({answer["id"] for _, answer in answers}) == 1
    assert _count(db) == 1
    again = client.post(URL, json=body | {"name": "other"}, headers=headers)
    assert again.status_code == 409
    assert again.json()["detail"] == "was used for another event"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "nobody@example.com"}, "email"),
        ({"email": ""}, "email"),
        ({"name": "has space"}, "name"),
        ({"name": ""}, "name"),
        ({"idempotency_key": ""}, "idempotency_key"),
        ({"idempotency_key": "k" * 201}, "idempotency_key"),
        ({"at": "yesterday"}, "at"),
        ({"at": "0001-01-01T00:00:00Z"}, "at"),  # waits computed from it would overflow
        ({"at": "9999-12-31T23:00:00-05:00"}, "at"),
        ({"idempotency_key": None}, "idempotency_key"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(
    client: TestClient, db: Database, people: dict[str, str], change: dict[str, Any], field: str
) -> None:
    list_id = make_list(db)
    subscribe(db, list_id, "ann@example.com")
    body = {"email": "ann@example.com", "name": "trial_ended", "idempotency_key": "k1"} | change
    response = client.post(URL, json=body, headers=_headers(db, people))
    assert response.status_code == 422, response.text
    assert field in [str(part) for part in response.json()["detail"][0]["loc"]]
    assert _count(db) == 0


def test_only_the_owner_may_post_events(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    body = {"email": "ann@example.com", "name": "x", "idempotency_key": "k1"}
    assert client.post(URL, json=body).status_code == 401
    assert client.post(URL, json=body, headers=_headers(db, people, "staff")).status_code == 403


def test_a_posted_event_enrols_its_sequence_and_the_cli_records_one_too(
    client: TestClient,
    db: Database,
    people: dict[str, str],
    database_url: str,
    tmp_path: Path,
) -> None:
    list_id = make_list(db)
    subscribe(db, list_id, "ann@example.com")
    subscribe(db, list_id, "bob@example.com")
    document = {
        "trigger": {"kind": "api_event", "name": "trial_ended"},
        "steps": [{"kind": "tag", "name": "trial-over"}],
        "messages": {},
    }
    add_active(db, document, utcnow() - timedelta(minutes=1))
    posted = client.post(
        URL,
        json={
            "email": "ann@example.com",
            "name": "trial_ended",
            "at": "2026-01-02T03:04:05+01:00",
            "idempotency_key": "trial-ann",
        },
        headers=_headers(db, people),
    )
    assert posted.status_code == 201
    assert posted.json()["at"] == "2026-01-02T02:04:05Z"
    env = {"EVERGREEN_DATA_DIR": str(tmp_path / "data"), "EVERGREEN_DATABASE_URL": database_url}
    args = ["sequences", "event", "bob@example.com", "trial_ended", "--key", "trial-bob", "--json"]
    done = run_cli(args, env)
    assert done.returncode == 0, done.stderr
    assert orjson.loads(done.stdout)["created"] is True
    assert orjson.loads(run_cli(args, env).stdout)["created"] is False
    refused = run_cli(["sequences", "event", "nobody@example.com", "x"], env)
    assert refused.returncode == 2
    assert "email" in refused.stderr + refused.stdout
    assert "Traceback" not in refused.stderr
    assert _count(db) == 2
    assert service.run_due(db, utcnow() + timedelta(seconds=5)).enrolled == 2
