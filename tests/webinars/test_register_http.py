"""The public registration page over HTTP: shown without sign-in in the asked zone, a
registration leading to the registrant's page, room and .ics by signed links, tampered links
refused, bad input answered 400 naming the field, bots answered like success with nothing
stored, and the owner's API and page listing registrations."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from evergreen.audience import service as audience
from evergreen.db import Database, utcnow
from evergreen.webinars import queries, service
from evergreen.webinars.models import WebinarRegistration
from tests.conftest import TEST_SECRET
from tests.http_helpers import csrf_from, sign_in, token_for

WORDING = "Yes, send me the Masterclass emails."


def _webinar(db: Database) -> int:
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
            consent_wording=WORDING,
        )
        return service.add_webinar(session, draft).id


def _token() -> str:
    return audience.post_token(TEST_SECRET, "webinar:masterclass", utcnow() - timedelta(seconds=5))


def _post(client: TestClient, url: str = "/w/masterclass", **given: str) -> object:
    page = client.get(url.replace("/w/masterclass", "/w/masterclass", 1))
    assert page.status_code == 200
    data = {
        "csrf_token": csrf_from(page.text),
        "token": _token(),
        "email": "jane@example.com",
        "name": "Jane",
        "viewer_timezone": "Asia/Tokyo",
        "consent": "yes",
        **given,
    }
    return client.post(url, data=data, follow_redirects=False)


def _count(db: Database) -> int:
    with db.session(writer=False) as session:
        return int(session.scalar(select(func.count(WebinarRegistration.id))) or 0)


def test_the_page_registers_and_links_to_the_registrants_page_room_and_ics(
    client: TestClient, db: Database
) -> None:
    webinar_id = _webinar(db)
    page = client.get("/w/masterclass?tz=Asia/Tokyo")
    assert page.status_code == 200
    assert "The Masterclass" in page.text
    assert WORDING in page.text
    assert 'name="website"' in page.text
    assert "resolvedOptions().timeZone" in page.text
    assert '<option value="Asia/Tokyo" selected>' in page.text
    done = _post(client, "/w/masterclass?channel=yt&sub1=a&secret=x")
    assert done.status_code == 303, done.text  # type: ignore[attr-defined]
    where = done.headers["location"]  # type: ignore[attr-defined]
    assert where.startswith("/w/masterclass/r/")
    mine = client.get(where)
    assert mine.status_code == 200
    assert "You're registered" in mine.text
    assert "(Asia/Tokyo)" in mine.text
    ics_link = mine.text.split('id="ics-link"')[0].rsplit('href="', 1)[1].split('"')[0]
    room_link = mine.text.split('id="room-link"')[0].rsplit('href="', 1)[1].split('"')[0]
    ics = client.get(ics_link)
    assert ics.status_code == 200
    assert ics.headers["content-type"].startswith("text/calendar")
    assert "BEGIN:VEVENT" in ics.text
    assert "The Masterclass" in ics.text
    room = client.get(room_link)
    assert room.status_code == 200
    assert "The room opens at" in room.text
    with db.session(writer=False) as session:
        (card,) = queries.registrations_of(session, webinar_id)
    assert card.source == {"channel": "yt", "sub1": "a"}
    assert card.viewer_timezone == "Asia/Tokyo"
    # Tampered, foreign or swapped links are refused.
    for bad in (
        where[:-2] + ("AA" if not where.endswith("AA") else "BB"),
        where.replace("/r/", "/ics/"),
        ics_link.replace("/ics/", "/room/"),
        "/w/masterclass/r/999.AAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "/w/other/r/" + where.rsplit("/", 1)[1],
    ):
        assert client.get(bad).status_code == 404, bad
    # The address again (anyone can type it): no second registration and no links on the
    # page, which says they went to the address.
    again = _post(client)
    assert again.status_code == 200  # type: ignore[attr-defined]
    assert 'id="registered-again"' in again.text  # type: ignore[attr-defined]
    assert "/w/masterclass/r/" not in again.text  # type: ignore[attr-defined]
    assert "/room/" not in again.text  # type: ignore[attr-defined]
    assert _count(db) == 1


def test_bad_input_is_answered_400_naming_the_field(client: TestClient, db: Database) -> None:
    _webinar(db)
    for given, words in (
        ({"viewer_timezone": "Mars/Base"}, "viewer timezone"),
        ({"email": "nope"}, "email"),
        ({"session_start": "2020-01-01T00:00:00Z"}, "session start"),
        ({"session_start": "tomorrow"}, "session start"),
    ):
        answer = _post(client, **given)
        assert answer.status_code == 400, given  # type: ignore[attr-defined]
        assert words in answer.text, given  # type: ignore[attr-defined]
    assert _count(db) == 0
    assert client.get("/w/nothing-here").status_code == 404


def test_bots_are_answered_like_success_and_nothing_is_stored(
    client: TestClient, db: Database
) -> None:
    _webinar(db)
    trap = _post(client, website="http://spam.example")
    assert trap.status_code == 200  # type: ignore[attr-defined]
    assert "You're registered" in trap.text  # type: ignore[attr-defined]
    forged = _post(client, token="1.forged")
    assert forged.status_code == 200  # type: ignore[attr-defined]
    assert _count(db) == 0


def test_the_owner_api_registers_and_lists(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    webinar_id = _webinar(db)
    owner = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    url = f"/api/v1/webinars/{webinar_id}/registrations"
    body = {"email": "bob@example.com", "viewer_timezone": "Europe/Paris"}
    made = client.post(url, json=body, headers=owner)
    assert made.status_code == 201, made.text
    answer = made.json()
    assert answer["registration"]["viewer_timezone"] == "Europe/Paris"
    assert answer["links"]["ics"].startswith("http://testserver/w/masterclass/ics/")
    bad = client.post(url, json={**body, "viewer_timezone": "Mars/Base"}, headers=owner)
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["field"] == "viewer_timezone"
    listed = client.get(url, headers=owner).json()
    assert [row["email"] for row in listed] == ["bob@example.com"]
    sign_in(client, people["owner"])
    page = client.get(f"/webinars/{webinar_id}")
    assert "bob@example.com" in page.text
    assert "Europe/Paris" in page.text


def _snippet_form(client: TestClient, db: Database, owner: str) -> tuple[str, dict[str, str]]:
    """The snippet from the webinar's page: its form's action and its fields' names."""
    webinar_id = _webinar(db)
    sign_in(client, owner)
    page = client.get(f"/webinars/{webinar_id}")
    assert page.status_code == 200
    start = page.text.index('id="snippet">') + len('id="snippet">')
    text = html.unescape(page.text[start : page.text.index("</textarea>", start)])
    client.cookies.clear()  # another site's page: none of this site's cookies travel
    action = re.search(r'<form action="([^"]+)" method="post"', text)
    assert action is not None
    names = dict.fromkeys(re.findall(r'name="([^"]+)"', text), "")
    assert WORDING in text  # the consent checkbox with the exact wording
    assert "resolvedOptions().timeZone" in text
    return action[1], names


def test_a_post_shaped_like_the_embedded_snippet_registers_without_csrf(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    action, names = _snippet_form(client, db, people["owner"])
    assert action == "http://testserver/w/masterclass/embed"
    assert set(names) == {"token", "viewer_timezone", "email", "name", "website", "consent"}
    fetched = client.get("/w/masterclass/embed.json", headers={"Origin": "https://blog.example"})
    assert fetched.headers["access-control-allow-origin"] == "*"
    assert "set-cookie" not in fetched.headers
    # The one-line script's work: the zone and a token (here one rendered 5 seconds ago).
    stamp = fetched.json()["token"].rpartition(".")[0]
    assert abs(float(stamp) - utcnow().timestamp()) < 60  # a fresh render time
    data = {**names, "token": _token(), "viewer_timezone": "Asia/Tokyo",
            "email": "embed@example.com", "name": "Em", "consent": "yes"}  # fmt: skip
    done = client.post(action, data=data, headers={"Origin": "https://blog.example"},
                       follow_redirects=False)  # fmt: skip
    assert done.status_code == 303, done.text
    assert done.headers["location"].startswith("/w/masterclass/r/")
    assert _count(db) == 1
    with db.session(writer=False) as session:
        row = session.scalars(select(WebinarRegistration)).one()
        assert (row.email, row.viewer_timezone) == ("embed@example.com", "Asia/Tokyo")
    # The hosted endpoint still wants its CSRF token: the snippet cannot post there.
    hosted = client.post("/w/masterclass", data=data, headers={"Origin": "https://blog.example"})
    assert hosted.status_code == 403
    assert _count(db) == 1


def test_the_embedded_post_keeps_the_bot_traps(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    action, names = _snippet_form(client, db, people["owner"])
    base = {**names, "viewer_timezone": "UTC", "email": "bot@example.com", "consent": "yes"}
    # The honeypot filled: answered like a success, nothing stored.
    bot = client.post(action, data={**base, "token": _token(), "website": "http://spam"})
    assert bot.status_code == 200
    # Posted at once after rendering: a bot too.
    fast = client.post(action, data={**base, "token": audience.post_token(
        TEST_SECRET, "webinar:masterclass", utcnow())})  # fmt: skip
    assert fast.status_code == 200
    # A forged token: a bot.
    forged = client.post(action, data={**base, "token": "123.abc"})
    assert forged.status_code == 200
    assert _count(db) == 0
    # No token (JavaScript off): the hosted page, filled in, to press once more (with CSRF).
    again = client.post(action, data=base)
    assert again.status_code == 200
    assert "press the button once more" in again.text
    assert 'value="bot@example.com"' in again.text
    assert 'name="csrf_token"' in again.text
    assert _count(db) == 0
    # Bad input gets the hosted page naming the field.
    bad = client.post(action, data={**base, "token": _token(), "email": "nope"})
    assert bad.status_code == 400
    assert "email" in bad.text
    assert _count(db) == 0


def test_the_pages_say_one_minute_not_one_minutes(client: TestClient, db: Database) -> None:
    with db.session() as session:
        draft = service.WebinarDraft(
            name="short", duration_minutes=1, schedule="jit:15", timezone="viewer", slug="short"
        )
        service.add_webinar(session, draft)
    page = client.get("/w/short")
    assert page.status_code == 200
    assert ">1 minute<" in page.text
    assert "1 minutes" not in page.text
    _webinar(db)
    assert "Ana · 45 minutes</p>" in client.get("/w/masterclass").text


def test_a_stranger_typing_a_registrants_address_moves_nothing_and_sees_no_link(
    client: TestClient, db: Database
) -> None:
    """Registered from New York, Jane keeps her session and zone when someone else posts her
    address from Tokyo choosing another session; the page shows no link of hers."""
    webinar_id = _webinar(db)
    first = _post(client, viewer_timezone="America/New_York")
    assert first.status_code == 303  # type: ignore[attr-defined]
    with db.session(writer=False) as session:
        (before,) = queries.registrations_of(session, webinar_id)
    other = client.get("/w/masterclass?tz=Asia/Tokyo").text
    starts = re.findall(r'name="session_start" value="([^"]+)"', other)
    chosen = next(s for s in starts if s != before.session_start.isoformat().replace("+00:00", "Z"))
    stranger = _post(client, email="JANE@example.com", session_start=chosen, name="Not Jane")
    assert stranger.status_code == 200  # type: ignore[attr-defined]
    assert "/w/masterclass/r/" not in stranger.text  # type: ignore[attr-defined]
    with db.session(writer=False) as session:
        (after,) = queries.registrations_of(session, webinar_id)
    assert (after.session_start, after.viewer_timezone, after.name) == (
        before.session_start, "America/New_York", "Jane",
    )  # fmt: skip
