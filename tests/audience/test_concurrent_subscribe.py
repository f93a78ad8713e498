"""64 callers subscribing at once through the API, on SQLite and PostgreSQL: never a 5xx other
than a 503 to retry, and one subscriber and one membership per address."""

from __future__ import annotations

from collections import Counter

import httpx
from sqlalchemy import func, select

from evergreen.audience import service
from evergreen.audience.models import Membership, Subscriber
from evergreen.config import Settings
from evergreen.db import Database
from tests.http_helpers import token_for
from tests.live_server import Call, live_server, send_until_answered

N = 64


def _run(settings: Settings, db: Database, calls: list[Call]) -> list[httpx.Response]:
    with live_server(settings, db) as url:
        responses = send_until_answered(url, calls)
    statuses = Counter(r.status_code for r in responses)
    assert set(statuses) <= {200, 201}, [r.text for r in responses if r.status_code >= 300][:3]
    return responses


def _count(db: Database, column: object) -> int:
    with db.session(writer=False) as session:
        return int(session.scalar(select(func.count(column))) or 0)  # type: ignore[arg-type]


def test_64_subscribes_of_the_same_and_different_addresses_at_once(
    settings: Settings, db: Database, people: dict[str, str]
) -> None:
    with db.session() as session:
        news = service.create_list(session, "News", double_opt_in=False).id
    auth = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    calls = [
        Call(
            "POST",
            "/api/v1/audience/subscribers",
            {
                "email": "Same@Example.com" if i % 2 else f"p{i}@example.com",
                "list_ids": [news],
                "tags": ["lead"],
            },
            headers=auth,
        )
        for i in range(N)
    ]
    responses = _run(settings, db, calls)
    assert Counter(r.status_code for r in responses)[201] == N // 2 + 1
    assert _count(db, Subscriber.id) == N // 2 + 1
    assert _count(db, Membership.subscriber_id) == N // 2 + 1
