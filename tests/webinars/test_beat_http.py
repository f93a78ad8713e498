"""POST /w/<slug>/beat over HTTP: 204 for a beat the room may send, JSON refusals naming the
field for anything else (never a 5xx), a per-client rate limit, and 64 callers at once on a real
server with every accepted beat folded into attendance."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from evergreen.config import Settings
from evergreen.db import Database, utcnow
from evergreen.webinars.beats import BeatReader, ingest_pending, spool_folder
from evergreen.webinars.models import WebinarAttendance
from tests.live_server import Call, live_server, send_at_once
from tests.webinars.beats_helpers import a_webinar, registrants, room_token


def _watched(db: Database) -> dict[int, int]:
    with db.session(writer=False) as session:
        rows = session.execute(
            select(WebinarAttendance.registration_id, WebinarAttendance.watched_seconds)
        ).all()
    return dict(rows)


def test_a_beat_is_answered_204_and_refusals_name_the_field(
    client: TestClient, db: Database
) -> None:
    webinar = a_webinar(db)
    (rid,) = registrants(db, webinar, utcnow() - timedelta(minutes=2))
    (later,) = registrants(db, webinar, utcnow() + timedelta(hours=1), channel="x")
    token = room_token(rid)
    for second in (0, 5, 10, 10, 60):  # the duplicate counts once
        answer = client.post("/w/masterclass/beat", json={"token": token, "second": second})
        assert answer.status_code == 204, answer.text
    for body, status, field in (
        ({"token": token, "second": -1}, 422, "second"),
        ({"token": token, "second": 999_999}, 422, "second"),
        ({"token": token, "second": "12"}, 422, "second"),
        ({"token": token, "second": True}, 422, "second"),
        ({"token": token}, 422, "second"),
        ({"second": 5}, 422, "token"),
        ({"token": 5, "second": 5}, 422, "token"),
        ({"token": token[:-3] + "AAA", "second": 5}, 404, "token"),
        ({"token": "1.AAAAAAAAAAAAAAAAAAAAAAAAAAAA", "second": 5}, 404, "token"),
        ({"token": room_token(later), "second": 0}, 409, "second"),
        ([1, 2], 422, "body"),
    ):
        answer = client.post("/w/masterclass/beat", json=body)
        assert answer.status_code == status, (body, answer.text)
        assert answer.json()["detail"][0]["field"] == field, body
    for raw in (b"", b"{", b"\xff\xfe", b"x" * 5000, b'{"token": null, "second": 1e400}'):
        answer = client.post("/w/masterclass/beat", content=raw)
        assert answer.status_code == 422, raw[:20]
    missing = client.post("/w/nothing/beat", json={"token": token, "second": 5})
    assert missing.status_code == 404
    client.app.state.webinars.ingest_spooled()  # type: ignore[attr-defined]
    assert _watched(db) == {rid: 20}


def test_too_many_beats_from_one_client_are_answered_429(client: TestClient, db: Database) -> None:
    (rid,) = registrants(db, a_webinar(db), utcnow() - timedelta(minutes=2))
    client.app.state.webinars.limiter.per_minute = 3  # type: ignore[attr-defined]
    answers = [  # seven calls span at most two minutes of three each: one is refused
        client.post("/w/masterclass/beat", json={"token": room_token(rid), "second": 5 * n})
        for n in range(7)
    ]
    codes = [answer.status_code for answer in answers]
    assert codes[0] == 204, codes
    assert set(codes) == {204, 429}, codes
    refused = answers[codes.index(429)]
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.json()["detail"][0]["field"] == "client"


@pytest.mark.both_databases
def test_64_callers_at_once_get_no_5xx_and_every_accepted_beat_counts(
    settings: Settings, db: Database
) -> None:
    people = registrants(db, a_webinar(db), utcnow() - timedelta(minutes=10), count=48)
    calls = [
        Call("POST", "/w/masterclass/beat", json={"token": room_token(rid), "second": 300})
        for rid in people
    ]
    calls += [
        Call("POST", "/w/masterclass/beat", json={"token": room_token(people[0]), "second": -5}),
        Call("POST", "/w/masterclass/beat", content="not json"),
        Call("POST", "/w/masterclass/beat", json={"token": "9.AAAAAAAAAAAAAAAAAAAAAAAA"}),
        Call("POST", "/w/nowhere/beat", json={"token": room_token(people[1]), "second": 1}),
    ] * 4
    assert len(calls) == 64
    with live_server(settings, db) as url:
        answers = send_at_once(url, calls)
    codes = [a.status_code for a in answers]
    assert all(code < 500 for code in codes), codes
    assert codes[:48] == [204] * 48
    assert set(codes[48:]) == {404, 422}
    ingest_pending(db, BeatReader(spool_folder(settings)))
    assert _watched(db) == dict.fromkeys(people, 5)
