"""64 events posted at once to POST /api/v1/sequences/events on a real server over SQLite and
PostgreSQL, half of them one event repeated under its idempotency key and half distinct (other
people, other keys): never a 5xx (a 503 with Retry-After is sent again, as a caller retries),
each distinct event stored exactly once, the repeats answered 200 with the first one's id.
test_api_events.py has the 64 posts of one key through the test client."""

from __future__ import annotations

from collections import Counter

import httpx
import pytest
from sqlalchemy import select

from evergreen.config import Settings
from evergreen.db import Database
from evergreen.sequences.models import SequenceEvent
from tests.http_helpers import token_for
from tests.live_server import Call, live_server, send_until_answered
from tests.sequences.kit import make_list, subscribe

pytestmark = pytest.mark.both_databases

N = 64
HALF = N // 2
URL = "/api/v1/sequences/events"


def _run(settings: Settings, db: Database, calls: list[Call]) -> list[httpx.Response]:
    """All in flight together; a 503 (the bounded wait for the write turn) is sent again."""
    with live_server(settings, db) as url:
        return send_until_answered(url, calls)


def test_64_events_at_once_store_each_key_once(
    settings: Settings, db: Database, people: dict[str, str]
) -> None:
    list_id = make_list(db)
    emails = ["same@example.com", *(f"p{i}@example.com" for i in range(0, N, 2))]
    for email in emails:
        subscribe(db, list_id, email)
    auth = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    bodies = [
        {"email": "same@example.com", "name": "purchase:course", "idempotency_key": "order-77"}
        if i % 2
        else {"email": f"p{i}@example.com", "name": "purchase:course", "idempotency_key": f"o-{i}"}
        for i in range(N)
    ]
    responses = _run(settings, db, [Call("POST", URL, body, headers=auth) for body in bodies])
    same = [r for i, r in enumerate(responses) if i % 2]
    distinct = [r for i, r in enumerate(responses) if i % 2 == 0]
    assert {r.status_code for r in distinct} == {201}
    assert Counter(r.status_code for r in same) == {201: 1, 200: HALF - 1}
    assert len({r.json()["id"] for r in same}) == 1
    with db.session(writer=False) as session:
        stored = session.execute(select(SequenceEvent.id, SequenceEvent.idempotency_key)).all()
    assert Counter(key for _id, key in stored) == {
        "order-77": 1,
        **{f"o-{i}": 1 for i in range(0, N, 2)},
    }
    assert {r.json()["id"] for r in responses} == {event_id for event_id, _key in stored}
