"""64 callers at once posting entries and hours with idempotency keys to a real server: never a
5xx but a 503 that says when to retry, and exactly one transaction (or time entry) per key, on
SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from evergreen.config import Settings
from evergreen.db import Database, utcnow
from evergreen.ledger import service
from evergreen.ledger.models import DailyFigures, HoursEntry, JournalEntry, Posting
from evergreen.ledger.rules import StreamKind, from_units
from tests.http_helpers import token_for
from tests.live_server import Call, live_server, send_until_answered

N = 64
KEYS = 16  # each key sent by N // KEYS callers at once


@pytest.fixture
def owner(db: Database, people: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(db, people['owner'])}"}


@pytest.fixture
def stream_id(db: Database) -> int:
    with db.session() as session:
        draft = service.StreamDraft(name="Blog", kind=StreamKind.AFFILIATE)
        return service.add_stream(session, draft, utcnow().date()).id


def _run(settings: Settings, db: Database, calls: list[Call]) -> list[httpx.Response]:
    """Send the calls at once; a 503 is retried, as a client that honours Retry-After does."""
    with live_server(settings, db) as url:
        responses = send_until_answered(url, calls)
    assert all(r.status_code < 300 for r in responses), Counter(r.status_code for r in responses)
    return responses


def _count(db: Database, column: Any) -> int:
    with db.session(writer=False) as session:
        return int(session.scalar(select(func.count(column))) or 0)


def test_64_callers_posting_income_with_keys_post_once_per_key(
    settings: Settings, db: Database, owner: dict[str, str], stream_id: int
) -> None:
    keys = [f"sale-{i % KEYS}" for i in range(N)]  # interleaved: every key is in flight at once
    calls = [
        Call("POST", "/api/v1/ledger/income", headers=owner, json={
            "stream_id": stream_id, "date": "2026-01-10", "amount": "12.34",
            "idempotency_key": key,
        })
        for key in keys
    ]  # fmt: skip
    responses = _run(settings, db, calls)
    by_key: dict[str, list[httpx.Response]] = defaultdict(list)
    for key, response in zip(keys, responses, strict=True):
        by_key[key].append(response)
    for key, answers in by_key.items():
        assert len({r.json()["id"] for r in answers}) == 1, key
        assert sorted(r.status_code for r in answers) == [200] * (N // KEYS - 1) + [201], key
    assert _count(db, JournalEntry.id) == KEYS
    assert _count(db, Posting.id) == 2 * KEYS
    with db.session(writer=False) as session:
        income, postings = session.execute(
            select(func.sum(DailyFigures.income_units), func.sum(DailyFigures.postings))
        ).one()
    assert (from_units(income), postings) == (Decimal("12.34") * KEYS, KEYS)  # the rollup agrees


def test_64_callers_sending_the_same_hours_record_them_once(
    settings: Settings, db: Database, owner: dict[str, str], stream_id: int
) -> None:
    body = {"stream_id": stream_id, "date": "2026-01-10", "hours": "1.5", "idempotency_key": "d1"}
    responses = _run(settings, db, [Call("POST", "/api/v1/ledger/hours", body, headers=owner)] * N)
    assert Counter(r.status_code for r in responses) == {201: 1, 200: N - 1}
    assert len({r.json()["id"] for r in responses}) == 1
    assert _count(db, HoursEntry.id) == 1


def test_callers_taking_capital_out_at_once_never_take_more_than_was_put_in(
    settings: Settings, db: Database, owner: dict[str, str], stream_id: int
) -> None:
    """1,000 in, 32 withdrawals of 100 at once: ten are posted and the rest refused (422), each
    checked after the one before it, so the stream never holds less than nothing."""
    with db.session() as session:
        stream = service.get_stream(session, stream_id)
        service.add_capital(session, stream, utcnow().date().replace(day=1), Decimal(1000))
    body = {"stream_id": stream_id, "date": utcnow().date().isoformat(), "amount": "-100"}
    calls = [Call("POST", "/api/v1/ledger/capital", body, headers=owner)] * 32
    with live_server(settings, db) as url:
        responses = send_until_answered(url, calls)
    assert Counter(r.status_code for r in responses) == {201: 10, 422: 22}
    with db.session(writer=False) as session:
        capital = session.scalar(select(func.sum(DailyFigures.capital_units)))
    assert from_units(int(capital or 0)) == 0
