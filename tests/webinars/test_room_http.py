"""The watch room over HTTP, on SQLite and PostgreSQL: the server says waiting, live at the
session's second, replay or closed; the uploaded recording answers range requests (206, the
right bytes) only while the room plays it; an offer's button leads on to its tracking link only
between its second and its real deadline; the simulated clock is for tests and the owner only;
tampered links and bad clocks are answered 4xx, never 500."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from evergreen.config import Settings
from evergreen.db import Database, utcnow
from evergreen.web import create_app
from evergreen.webinars import content, registrations, service
from evergreen.webinars.rules import link_token
from tests.conftest import TEST_SECRET
from tests.http_helpers import sign_in

VIDEO = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(range(256)) * 40


def _setup(db: Database, data_dir: Path) -> tuple[str, datetime]:
    """A 10-minute webinar with an uploaded recording, an offer at 5:00 closing 2 minutes
    later, a chat line at 1:00, and one registrant: their room token and session start."""
    with db.session() as session:
        webinar_id = service.add_webinar(
            session,
            service.WebinarDraft(
                name="demo", title="The Demo", duration_minutes=10, schedule="jit:15",
                timezone="viewer", slug="demo", replay_hours=1,
            ),
        ).id  # fmt: skip
        content.store_video(session, data_dir, webinar_id, [VIDEO[:7], VIDEO[7:]])
        content.add_offer(
            session,
            webinar_id,
            content.OfferDraft(300, "The Course", "https://shop.example/course", "Buy now", 2),
        )
        content.add_chat_line(
            session, webinar_id, content.ChatDraft(60, "Does it work in Europe?", "2026-11-02")
        )
        data = registrations.RegistrationInput(email="jo@example.com", viewer_timezone="UTC")
        row = registrations.register(session, TEST_SECRET, webinar_id, data).registration
        return link_token(TEST_SECRET, "room", row.id), row.session_start


def _at(start: datetime, seconds: float) -> str:
    return (start + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def _data(html: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="room-data">(.*?)</script>', html, re.S)
    assert found, "the room embeds its data"
    result: dict[str, Any] = json.loads(found.group(1))
    return result


@pytest.mark.both_databases
def test_the_room_moves_from_waiting_to_live_replay_and_closed(
    client: TestClient, db: Database, settings: Settings
) -> None:
    token, start = _setup(db, settings.data_dir)
    room = f"/w/demo/room/{token}"
    waiting = client.get(room, params={"at": _at(start, -90)})
    assert waiting.status_code == 200
    assert 'id="room-opens"' in waiting.text
    assert _data(waiting.text)["stage"] == "waiting"
    assert _data(waiting.text)["wait_seconds"] == 90
    assert "/w/demo/video/" not in waiting.text
    assert "Recorded presentation, played at your session time" in waiting.text

    live = client.get(room, params={"at": _at(start, 125.6)})
    data = _data(live.text)
    assert (data["stage"], data["position"], data["duration"]) == ("live", 125, 600)
    # The simulated clock travels with the recording's address (the file checks it too).
    assert f'src="/w/demo/video/{token}?at={_at(start, 125.6)[:19]}Z"' in live.text
    assert data["clock_at"] == _at(start, 125.6)[:19] + "Z"
    assert data["beat_url"] == "/w/demo/beat"
    assert data["token"] == token
    assert [(o["at"], o["title"], o["button"]) for o in data["offers"]] == [
        (300, "The Course", "Buy now")
    ]
    assert data["offers"][0]["closes_in_ms"] == (300 + 120 - 125.6) * 1000 // 1
    assert data["chat"] == [
        {"at": 60, "question": "Does it work in Europe?",
         "asked": "asked on 2 November 2026 in an earlier session"}
    ]  # fmt: skip

    replay = client.get(room, params={"at": _at(start, 700)})
    assert _data(replay.text)["stage"] == "replay"
    assert _data(replay.text)["offers"] == []  # its deadline passed during the session
    assert "controls" in replay.text

    closed = client.get(room, params={"at": _at(start, 600 + 3600)})
    assert closed.status_code == 200
    assert 'id="room-closed"' in closed.text
    assert "/w/demo/video/" not in closed.text
    assert _data(closed.text)["offers"] == []
    assert _data(closed.text)["chat"] == []


def test_the_recording_answers_ranges_only_while_the_room_plays_it(
    client: TestClient, db: Database, settings: Settings
) -> None:
    token, start = _setup(db, settings.data_dir)
    video = f"/w/demo/video/{token}"
    part = client.get(video, params={"at": _at(start, 30)}, headers={"Range": "bytes=10-29"})
    assert part.status_code == 206
    assert part.content == VIDEO[10:30]
    assert part.headers["content-range"] == f"bytes 10-29/{len(VIDEO)}"
    assert part.headers["content-type"] == "video/mp4"
    whole = client.get(video, params={"at": _at(start, 700)})
    assert whole.status_code == 200
    assert whole.content == VIDEO
    assert whole.headers["accept-ranges"] == "bytes"
    assert client.get(video, params={"at": _at(start, -5)}).status_code == 404
    assert client.get(video, params={"at": _at(start, 600 + 3600)}).status_code == 404
    assert client.get(video.replace(token, token[:-2] + "xx")).status_code == 404
    # The file gone from the data folder: a clear note in the room, 404 for the file.
    (stored,) = (settings.data_dir / "webinars" / "1").glob("recording-*.mp4")
    stored.unlink()
    room = client.get(f"/w/demo/room/{token}", params={"at": _at(start, 30)})
    assert "The recording cannot be found on the server" in room.text
    assert client.get(video, params={"at": _at(start, 30)}).status_code == 404


def test_the_offer_button_holds_its_deadline_on_the_server(
    client: TestClient, db: Database, settings: Settings
) -> None:
    token, start = _setup(db, settings.data_dir)
    button = f"/w/demo/room/{token}/offer/1"
    early = client.get(button, params={"at": _at(start, 299)}, follow_redirects=False)
    assert early.status_code == 410
    assert "not open" in early.text
    going = client.get(button, params={"at": _at(start, 300)}, follow_redirects=False)
    assert going.status_code == 303
    target = going.headers["location"]
    assert re.fullmatch(
        r"http://testserver/go/[a-z0-9]+\?sub1=webinar-1&sub2=offer-1&sub3=r1", target
    )
    tracked = client.get(target.removeprefix("http://testserver"), follow_redirects=False)
    assert tracked.status_code in (301, 302, 307)
    assert tracked.headers["location"].startswith("https://shop.example/course")
    late = client.get(button, params={"at": _at(start, 420)}, follow_redirects=False)
    assert late.status_code == 410  # 2 minutes after it appeared, for good
    assert (
        client.get(button, params={"at": _at(start, 419)}, follow_redirects=False).status_code
        == 303
    )
    assert (
        client.get(f"/w/demo/room/{token}/offer/9", params={"at": _at(start, 400)}).status_code
        == 404
    )
    assert client.get(button, params={"at": _at(start, 5000)}).status_code == 404


def test_the_simulated_clock_is_for_tests_and_the_owner_never_the_public(
    db: Database, settings: Settings, people: dict[str, str]
) -> None:
    token, start = _setup(db, settings.data_dir)
    assert start > utcnow()  # a just-in-time session is ahead
    public = settings.model_copy(update={"env": "development"})
    with TestClient(create_app(public, database=db)) as visitor:
        page = visitor.get(f"/w/demo/room/{token}", params={"at": _at(start, 60)})
        assert _data(page.text)["stage"] == "waiting"  # ?at= ignored: the server's clock
        assert (
            visitor.get(f"/w/demo/video/{token}", params={"at": _at(start, 60)}).status_code == 404
        )
        sign_in(visitor, people["owner"])
        page = visitor.get(f"/w/demo/room/{token}", params={"at": _at(start, 60)})
        assert _data(page.text)["stage"] == "live"


@pytest.mark.both_databases
def test_bad_links_and_clocks_are_refused_not_500(
    client: TestClient, db: Database, settings: Settings
) -> None:
    token, _start = _setup(db, settings.data_dir)
    assert client.get(f"/w/nope/room/{token}").status_code == 404
    assert client.get("/w/demo/room/1.aaaaaaaaaaaaaaaaaaaaaaaaaaaaa").status_code == 404
    page_token = link_token(TEST_SECRET, "page", 1)
    assert client.get(f"/w/demo/room/{page_token}").status_code == 404  # another purpose
    bad = client.get(f"/w/demo/room/{token}", params={"at": "yesterday"})
    assert 400 <= bad.status_code < 500
    assert client.get(f"/w/demo/room/{token}/offer/-1").status_code == 400
