"""64 callers at once on the audience's public write routes another system or a crowd of
browsers calls (the hosted form, the double opt-in button, the preference centre), on a real
server over SQLite and PostgreSQL: never a 5xx (a 503 with Retry-After is sent again, as a
browser's retry would), half of them the same request and half distinct, each person and each
consent event stored exactly once. The JSON form endpoint has its own 64-caller test
(test_forms_http.py)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import func, select

from evergreen.audience import queries, service
from evergreen.audience.models import ConsentEvent, Membership, Subscriber
from evergreen.audience.rules import Source
from evergreen.audience.rules.forms import render_token
from evergreen.audience.service import Consent, forms, preferences
from evergreen.config import Settings
from evergreen.db import Database, utcnow
from evergreen.web.csrf import CSRF_COOKIE, csrf_token_for
from tests.conftest import TEST_SECRET
from tests.live_server import Call, live_server, send_until_answered

pytestmark = pytest.mark.both_databases

N = 64
_COOKIE = "concurrent-callers-csrf"
_FORM = {
    "Content-Type": "application/x-www-form-urlencoded",
    "Cookie": f"{CSRF_COOKIE}={_COOKIE}",
}


def _posted(path: str, fields: list[tuple[str, str]], client: str = "") -> Call:
    """A browser's form post: its CSRF cookie and the token a page rendered for it."""
    body = urlencode([("csrf_token", csrf_token_for(TEST_SECRET, _COOKIE)), *fields])
    headers = {**_FORM, "X-Forwarded-For": client} if client else _FORM
    return Call("POST", path, content=body, headers=headers)


def _run(settings: Settings, db: Database, calls: list[Call]) -> list[httpx.Response]:
    """All in flight together; a 503 (the bounded wait for the write turn) is sent again."""
    with live_server(settings, db) as url:
        return send_until_answered(url, calls)


def _events(db: Database) -> Counter[tuple[int, int | None, str]]:
    """Consent events by (subscriber, list, action)."""
    with db.session(writer=False) as session:
        rows = session.execute(
            select(ConsentEvent.subscriber_id, ConsentEvent.list_id, ConsentEvent.action)
        ).all()
    return Counter((row[0], row[1], row[2]) for row in rows)


def _count(db: Database, column: object) -> int:
    with db.session(writer=False) as session:
        return int(session.scalar(select(func.count(column))) or 0)  # type: ignore[arg-type]


def _people(db: Database, list_id: int, count: int) -> list[tuple[int, str, str]]:
    """`count` people who signed up to a list: (id, email, confirmation token)."""
    made = []
    with db.session() as session:
        for i in range(count):
            email = f"p{i:02d}@example.com"
            joined = service.subscribe(
                session, TEST_SECRET, email, list_id, Consent(Source.FORM, form="Footer")
            )
            made.append((joined.subscriber.id, email, joined.token or ""))
    return made


def test_64_hosted_form_posts_at_once_store_each_address_once(
    settings: Settings, db: Database
) -> None:
    with db.session() as session:
        news = service.create_list(session, "News").id
        forms.create_form(
            session,
            forms.FormInput(name="Newsletter", slug="news", list_ids=[news], wording="Yes."),
        )
    rendered = render_token(TEST_SECRET, "news", utcnow() - timedelta(seconds=5))  # a person
    calls = [
        _posted(
            "/f/news",
            [("token", rendered), ("email", "same@example.com" if i % 2 else f"p{i}@example.com")],
            client=f"198.51.100.{i}",  # one browser each: the per-client limit is not the test
        )
        for i in range(N)
    ]
    responses = _run(settings, db, calls)
    assert Counter(r.status_code for r in responses) == {200: N}
    assert all("look in your inbox" in r.text for r in responses)
    assert _count(db, Subscriber.id) == N // 2 + 1
    assert _count(db, Membership.subscriber_id) == N // 2 + 1
    with db.session(writer=False) as session:
        rows = session.execute(
            select(Subscriber.email, ConsentEvent.action, ConsentEvent.detail).join(
                ConsentEvent, ConsentEvent.subscriber_id == Subscriber.id
            )
        ).all()
    events = Counter((row[0], row[1], row[2]) for row in rows)
    # One sign-up each; the same address signing up again while unconfirmed is "asked again".
    assert events == {
        **{(f"p{i}@example.com", "opt_in", ""): 1 for i in range(0, N, 2)},
        ("same@example.com", "opt_in", ""): 1,
        ("same@example.com", "opt_in", "asked again"): N // 2 - 1,
    }


def test_64_confirmations_at_once_confirm_each_person_once(
    settings: Settings, db: Database
) -> None:
    with db.session() as session:
        news = service.create_list(session, "News", double_opt_in=True).id
    people = _people(db, news, N // 2 + 1)
    tokens = [people[0][2]] * (N // 2) + [token for _id, _email, token in people[1:]]
    calls = [_posted(f"/audience/confirm/{token}", []) for token in tokens]
    responses = _run(settings, db, calls)
    assert Counter(r.status_code for r in responses) == {200: N}
    assert all("subscribed" in r.text for r in responses)
    with db.session(writer=False) as session:
        assert {person: queries.lists_of(session, person) for person, _e, _t in people} == {
            person: {"News": "subscribed"} for person, _e, _t in people
        }
    confirms = Counter(key for key in _events(db).elements() if key[2] == "confirm")
    assert confirms == {(person, news, "confirm"): 1 for person, _e, _t in people}


def test_64_preference_saves_at_once_record_each_change_once(
    settings: Settings, db: Database
) -> None:
    with db.session() as session:
        news = service.create_list(session, "News", double_opt_in=False).id
        tips = service.create_list(session, "Tips", double_opt_in=False).id
    people = _people(db, news, N // 2 + 1)
    with db.session() as session:
        for person, _email, _token in people:
            service.subscribe(session, TEST_SECRET, _email, tips, Consent(Source.API))
            service.unsubscribe(session, TEST_SECRET, person, tips)
    before = _events(db)
    links = [
        preferences.preference_url("", TEST_SECRET, person, email) for person, email, _t in people
    ]
    paths = [links[0]] * (N // 2) + links[1:]
    # Leave News, join Tips again, hear monthly: three changes per person, each made once.
    fields = [("lists", str(tips)), ("frequency", "monthly")]
    responses = _run(settings, db, [_posted(path, fields) for path in paths])
    assert Counter(r.status_code for r in responses) == {200: N}
    assert all("Your preferences are saved." in r.text for r in responses)
    with db.session(writer=False) as session:
        for person, email, _token in people:
            assert queries.lists_of(session, person) == {
                "News": "unsubscribed",
                "Tips": "subscribed",
            }
            card = queries.find_by_email(session, email)
            assert card is not None
            assert card.fields["frequency"] == "monthly"
    added = _events(db) - before
    assert added == {
        **{(person, news, "opt_out"): 1 for person, _e, _t in people},
        **{(person, tips, "opt_in"): 1 for person, _e, _t in people},
    }
