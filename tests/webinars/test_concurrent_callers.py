"""64 callers registering at once for one webinar, on a real server over SQLite and PostgreSQL,
through the hosted page (CSRF-checked) and the embedded snippet's post (no cookie): never a 5xx
(a 503 with Retry-After is sent again, as a browser's retry would), half of them the same
address and half distinct, each registration, person, consent and "registered" activity stored
exactly once. The room's beats have their own 64-caller test (test_beat_http.py)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import func, select

from evergreen.audience import service as audience
from evergreen.audience.models import Activity, ConsentEvent, Subscriber
from evergreen.config import Settings
from evergreen.db import Database, utcnow
from evergreen.web.csrf import CSRF_COOKIE, csrf_token_for
from evergreen.webinars import service
from evergreen.webinars.models import WebinarRegistration
from tests.conftest import TEST_SECRET
from tests.live_server import Call, live_server, send_until_answered

pytestmark = pytest.mark.both_databases

N = 64
_COOKIE = "concurrent-callers-csrf"


def _webinar(db: Database) -> None:
    with db.session() as session:
        list_id = audience.create_list(session, "Masterclass list", double_opt_in=False).id
        draft = service.WebinarDraft(
            name="masterclass",
            title="The Masterclass",
            presenter="Ana",
            duration_minutes=45,
            schedule="jit:15",
            timezone="viewer",
            slug="masterclass",
            list_id=list_id,
            consent_wording="Yes, send me the Masterclass emails.",
        )
        service.add_webinar(session, draft)


def _calls(path: str, *, csrf: bool) -> list[Call]:
    """Half the posts for one address, half for an address each; one browser per post (the
    per-client limit is not what this test is about)."""
    token = audience.post_token(TEST_SECRET, "webinar:masterclass", utcnow() - timedelta(seconds=5))
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if csrf:
        headers["Cookie"] = f"{CSRF_COOKIE}={_COOKIE}"
    calls = []
    for i in range(N):
        fields = {
            "token": token,
            "email": "same@example.com" if i % 2 else f"p{i}@example.com",
            "name": f"Person {i}",
            "viewer_timezone": "Asia/Tokyo",
            "consent": "yes",
        }
        if csrf:
            fields["csrf_token"] = csrf_token_for(TEST_SECRET, _COOKIE)
        forwarded = {**headers, "X-Forwarded-For": f"198.51.100.{i}"}
        calls.append(Call("POST", path, content=urlencode(fields), headers=forwarded))
    return calls


def _run(settings: Settings, db: Database, calls: list[Call]) -> list[httpx.Response]:
    """All in flight together; a 503 (the bounded wait for the write turn) is sent again."""
    with live_server(settings, db) as url:
        return send_until_answered(url, calls)


def _count(db: Database, column: object, *where: object) -> int:
    with db.session(writer=False) as session:
        found = select(func.count(column))  # type: ignore[arg-type]
        return int(session.scalar(found.where(*where)) or 0)  # type: ignore[arg-type]


def _check(db: Database, responses: list[httpx.Response]) -> None:
    """One registration per address: the first post of each is sent to its page (303), the
    same address again gets the page that says its links went by mail (200)."""
    distinct = [r for i, r in enumerate(responses) if i % 2 == 0]
    same = [r for i, r in enumerate(responses) if i % 2]
    assert {r.status_code for r in distinct} == {303}, [r.text[:300] for r in distinct]
    assert Counter(r.status_code for r in same) == {303: 1, 200: N // 2 - 1}
    assert all(r.headers["location"].startswith("/w/masterclass/r/") for r in distinct)
    assert len({r.headers["location"] for r in responses if r.status_code == 303}) == N // 2 + 1
    with db.session(writer=False) as session:
        emails = session.scalars(select(WebinarRegistration.email)).all()
    assert sorted(emails) == sorted(
        ["same@example.com", *(f"p{i}@example.com" for i in range(0, N, 2))]
    )
    assert _count(db, Subscriber.id) == N // 2 + 1
    assert _count(db, ConsentEvent.id) == N // 2 + 1  # one opt-in each; a repeat is no event
    assert _count(db, Activity.id, Activity.kind == "registered") == N // 2 + 1


def test_64_registrations_at_once_on_the_hosted_page_store_each_address_once(
    settings: Settings, db: Database
) -> None:
    _webinar(db)
    _check(db, _run(settings, db, _calls("/w/masterclass", csrf=True)))


def test_64_embedded_registrations_at_once_store_each_address_once(
    settings: Settings, db: Database
) -> None:
    _webinar(db)
    _check(db, _run(settings, db, _calls("/w/masterclass/embed", csrf=False)))
